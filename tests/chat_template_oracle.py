#!/usr/bin/env python3
"""Reference renderer for chat-template tests: Python jinja2 configured the way Hugging Face
transformers renders `chat_template` (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols; raise_exception, strftime_now; HF's tojson = json.dumps(ensure_ascii=False)).

usage: chat_template_oracle.py TEMPLATE_FILE CONVERSATION_JSON [--no-generation-prompt]
       chat_template_oracle.py TEMPLATE_FILE --batch CONVERSATION_JSON...
           (prints a JSON list: for each conversation, with and then without the generation
            prompt, {"kind": "text"|"raise"|"error", "text": ...})
CONVERSATION_JSON: {"messages": [...], "tools": [...]?, "bos_token": "...", "eos_token": "..."}
Prints the rendered text exactly (no newline added). If the template calls raise_exception,
prints "RAISE: <message>" and exits 3; on any other rendering error prints "ERROR: <type>: <message>"
and exits 4 (a conforming renderer must fail too, with any message).
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def render(env, source, conversation, add_generation_prompt):
    """Returns (kind, text): ("text", rendered), ("raise", message) or ("error", description)."""
    try:
        text = env.from_string(source).render(
            messages=conversation["messages"],
            tools=conversation.get("tools"),
            documents=None,
            add_generation_prompt=add_generation_prompt,
            bos_token=conversation.get("bos_token", ""),
            eos_token=conversation.get("eos_token", ""),
        )
        return "text", text
    except Exception as e:  # noqa: BLE001 - every failure is reported to the caller
        if type(e) is TemplateError:  # raise_exception() from the template itself
            return "raise", str(e)
        return "error", type(e).__name__ + ": " + str(e)


def make_environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    template_path = sys.argv[1]
    with open(template_path, encoding="utf-8") as f:
        source = f.read()
    env = make_environment()
    if sys.argv[2] == "--batch":
        results = []
        for path in sys.argv[3:]:
            conversation = load_json(path)
            for add_generation_prompt in (True, False):
                kind, text = render(env, source, conversation, add_generation_prompt)
                results.append({"kind": kind, "text": text})
        sys.stdout.write(json.dumps(results, ensure_ascii=False))
        return 0
    add_generation_prompt = "--no-generation-prompt" not in sys.argv[3:]
    kind, text = render(env, source, load_json(sys.argv[2]), add_generation_prompt)
    if kind == "raise":
        sys.stdout.write("RAISE: " + text)
        return 3
    if kind == "error":
        sys.stdout.write("ERROR: " + text)
        return 4
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
