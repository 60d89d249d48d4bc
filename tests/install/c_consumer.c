/* A C program that finds libenlace through pkg-config and calls the C ABI. */
#include <stdio.h>
#include <string.h>

#include <enlace/enlace.h>

int main(void) {
  const char* message = enlace_strerror(202);
  if (message == NULL || strlen(message) == 0) {
    printf("c_consumer: FAIL: enlace_strerror(202) is empty\n");
    return 1;
  }
  printf("c_consumer: enlace_strerror(202) = \"%s\"\n", message);
  return 0;
}
