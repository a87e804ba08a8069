#pragma once
// RouteContext::guard: the one place where exceptions of route handlers become JSON errors.
#include "server/api_error.h"
#include "util/error.h"
#include "util/log.h"

#include <httplib.h>

namespace rocmforge::server {

template <typename F>
void RouteContext::guard(httplib::Response& res, F&& f) {
    try {
        f();
    } catch (const ApiError& e) {
        send_error(res, e);
    } catch (const Error& e) {
        send_error(res, 400, e.what(), e.context());
    } catch (const std::exception& e) {
        log::error("server: {}", e.what());
        send_error(res, 500, std::string("internal error: ") + e.what());
    }
}

}  // namespace rocmforge::server
