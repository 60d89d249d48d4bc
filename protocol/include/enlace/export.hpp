// ENLACE_API marks what libenlace exports. Everything else in the library, the protocol
// core linked into it included, is built with hidden visibility: a vendor can link only
// against what the public headers declare.
#pragma once

#ifndef ENLACE_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define ENLACE_API __attribute__((visibility("default")))
#else
#define ENLACE_API
#endif
#endif
