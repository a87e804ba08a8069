#pragma once
// The built-in chat page served at GET /: one self-contained HTML document (inline CSS and JS,
// no external assets) that streams from /v1/chat/completions. Source: chat_page.html.
namespace rocmforge::server {

extern const char* const kChatPageHtml;

}  // namespace rocmforge::server
