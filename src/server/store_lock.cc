#include "src/server/store_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace intsim::server {

core::Status StoreLock::acquire(const std::string& store_path, std::unique_ptr<StoreLock>* out) {
  const std::string path = store_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return core::Status::io_error(
        fmt::format("{}: cannot open the store's lock file: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return core::Status::conflict(fmt::format(
          "{}: another intsim serve (pid {}) is using the store {}; one process per store", path,
          n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "unknown", store_path));
    }
    return core::Status::io_error(fmt::format("{}: cannot lock: {}", path, std::strerror(err)));
  }
  // Our pid, for the message another process gets (the lock itself is the flock, not this).
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Only the message would lack the pid: the lock holds.
  }
  out->reset(new StoreLock(fd));
  return core::Status::ok();
}

StoreLock::~StoreLock() { ::close(fd_); }

}  // namespace intsim::server
