#include "server/api_error.h"

#include <httplib.h>

namespace rocmforge::server {

ApiError::ApiError(int status, std::string message, std::string param, std::string code)
    : std::runtime_error(std::move(message)), status_(status), param_(std::move(param)), code_(std::move(code)) {}

const char* error_type_for_status(int status) {
    if (status == 401) return "authentication_error";
    if (status == 429) return "rate_limit_error";
    if (status >= 500) return "server_error";
    return "invalid_request_error";
}

nlohmann::ordered_json error_json(int status, const std::string& message, const std::string& param,
                                  const std::string& code) {
    nlohmann::ordered_json e;
    e["message"] = message;
    e["type"] = error_type_for_status(status);
    e["param"] = param.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(param);
    e["code"] = code.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(code);
    return {{"error", e}};
}

std::string dump_json(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void send_json(httplib::Response& res, const nlohmann::ordered_json& body, int status) {
    res.status = status;
    res.set_content(dump_json(body), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param,
                const std::string& code) {
    send_json(res, error_json(status, message, param, code), status);
}

void send_error(httplib::Response& res, const ApiError& e) {
    send_error(res, e.status(), e.what(), e.param(), e.code());
}

}  // namespace rocmforge::server
