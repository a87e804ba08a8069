#include "server/peer_watch.h"

#include <httplib.h>

#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>

namespace rocmforge::server {
namespace {

// Numeric host and port of a socket address, formatted as cpp-httplib formats Request addresses.
bool host_and_port(const sockaddr_storage& addr, socklen_t len, std::string& host, int& port) {
    char h[NI_MAXHOST], p[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, h, sizeof h, p, sizeof p,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return false;
    host = h;
    port = std::atoi(p);
    return true;
}

bool matches(int fd, const httplib::Request& req) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    std::string host;
    int port = -1;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || !host_and_port(addr, len, host, port) ||
        port != req.remote_port || host != req.remote_addr)
        return false;
    len = sizeof addr;
    return getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && host_and_port(addr, len, host, port) &&
           port == req.local_port && host == req.local_addr;
}

}  // namespace

PeerWatch::PeerWatch(const httplib::Request& req) {
    if (req.remote_port <= 0 || req.local_port <= 0) return;
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return;
    const int own = dirfd(dir);
    while (const dirent* e = readdir(dir)) {
        char* end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == own) continue;
        if (matches(static_cast<int>(fd), req)) {
            fd_ = static_cast<int>(fd);
            break;
        }
    }
    closedir(dir);
}

bool PeerWatch::gone() const {
    if (fd_ < 0) return false;
    char byte;
    const ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return false;  // more data (a pipelined request): still there
    if (n == 0) return true;  // orderly close
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

std::optional<engine::RequestSnapshot> wait_or_cancel(engine::EngineLoop& engine, engine::RequestHandle& handle,
                                                      const httplib::Request& req, int poll_ms) {
    const PeerWatch peer(req);
    for (;;) {
        if (auto s = handle.wait_for(std::chrono::milliseconds(poll_ms))) return s;
        if (peer.gone()) {
            engine.cancel(handle);
            return std::nullopt;
        }
    }
}

}  // namespace rocmforge::server
