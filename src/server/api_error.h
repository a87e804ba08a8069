#pragma once
// Errors of the HTTP API, sent as OpenAI-style JSON:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature", "code": null}}
// Route handlers throw ApiError; the server turns it (and any status >= 400 without a body)
// into that shape.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace httplib {
struct Response;
}

namespace rocmforge::server {

class ApiError : public std::runtime_error {
public:
    // status: HTTP status; param: the request field at fault ("" when none); code: a short
    // machine-readable reason ("" when none).
    ApiError(int status, std::string message, std::string param = "", std::string code = "");
    int status() const { return status_; }
    const std::string& param() const { return param_; }
    const std::string& code() const { return code_; }

private:
    int status_;
    std::string param_;
    std::string code_;
};

// The OpenAI error type for a status: invalid_request_error (400, 404, 413), authentication_error
// (401), rate_limit_error (429), server_error (5xx).
const char* error_type_for_status(int status);
// {"error": {...}}; param and code are null when empty.
nlohmann::ordered_json error_json(int status, const std::string& message, const std::string& param = "",
                                  const std::string& code = "");
// Sets res.status and an application/json body of error_json.
void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param = "",
                const std::string& code = "");
void send_error(httplib::Response& res, const ApiError& e);
// A JSON body, serialised with invalid UTF-8 replaced (model text can hold any bytes).
void send_json(httplib::Response& res, const nlohmann::ordered_json& body, int status = 200);
std::string dump_json(const nlohmann::ordered_json& j);

}  // namespace rocmforge::server
