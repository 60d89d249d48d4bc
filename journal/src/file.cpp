#include "file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "enlace/journal/error.hpp"

namespace enlace::journal::detail {

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

std::string with_path(std::string_view reason, const std::filesystem::path& path) {
  std::string out(reason);
  out += kFileMarker;
  out += path.string();
  out += ']';
  return out;
}

ErrorInfo os_error(std::string_view what, const std::filesystem::path& path, int error) {
  std::string reason(what);
  reason += ": ";
  reason += std::strerror(error);
  return {Errc::storage_unavailable, with_path(reason, path)};
}

Result<File> open_file(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return os_error("open", path, errno);
  return File(fd);
}

Result<std::uint64_t> file_size(const File& file, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return os_error("fstat", path, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::size_t> read_at(const File& file, const std::filesystem::path& path,
                            std::uint64_t offset, std::span<std::uint8_t> into) {
  std::size_t done = 0;
  while (done < into.size()) {
    const ssize_t n = ::pread(file.fd(), into.data() + done, into.size() - done,
                              static_cast<off_t>(offset + done));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("read", path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Status write_at(const File& file, const std::filesystem::path& path, std::uint64_t offset,
                std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(file.fd(), bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("write", path, errno);
    }
    if (n == 0) return os_error("write", path, EIO);  // a regular file never writes nothing
    done += static_cast<std::size_t>(n);
  }
  return success();
}

Status truncate_to(const File& file, const std::filesystem::path& path, std::uint64_t size) {
  if (::ftruncate(file.fd(), static_cast<off_t>(size)) != 0)
    return os_error("ftruncate", path, errno);
  return success();
}

Status sync_data(const File& file, const std::filesystem::path& path) {
  if (::fdatasync(file.fd()) != 0) return os_error("fdatasync", path, errno);
  return success();
}

Status sync_directory(const std::filesystem::path& dir) {
  auto opened = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!opened) return opened.error();
  if (::fsync(opened->fd()) != 0) return os_error("fsync", dir, errno);
  return success();
}

Status replace_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    bool durable) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    auto file = open_file(temp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!file) return file.error();
    Status status = write_at(*file, temp, 0, bytes);
    if (status && durable) status = sync_data(*file, temp);
    if (!status) {
      ::unlink(temp.c_str());
      return status;
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return os_error("rename", temp, error);
  }
  if (durable) return sync_directory(path.parent_path());
  return success();
}

Result<std::vector<std::uint8_t>> read_whole_file(const std::filesystem::path& path) {
  auto file = open_file(path, O_RDONLY);
  if (!file) return file.error();
  auto size = file_size(*file, path);
  if (!size) return size.error();
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(*size));
  auto got = read_at(*file, path, 0, bytes);
  if (!got) return got.error();
  bytes.resize(*got);
  return bytes;
}

}  // namespace enlace::journal::detail
