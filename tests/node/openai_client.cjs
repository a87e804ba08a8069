// The official `openai` npm client, unchanged, against `rocmforge serve`: the server comes from
// the client's own environment variables OPENAI_BASE_URL (http://127.0.0.1:PORT/v1) and
// OPENAI_API_KEY. Runs a chat completion, a streaming chat completion and a completion at
// temperature 0, checks their shapes, and prints what they returned as one JSON line.
const OpenAI = require("openai");
const assert = require("node:assert/strict");

async function main() {
  const client = new OpenAI();
  const model = process.env.ROCMFORGE_MODEL_ALIAS;
  const messages = [{ role: "user", content: "Tell me about the old king." }];

  const chat = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 16 });
  assert.equal(chat.object, "chat.completion");
  assert.equal(chat.choices[0].message.role, "assistant");
  assert.ok(["stop", "length"].includes(chat.choices[0].finish_reason));
  assert.equal(typeof chat.usage.completion_tokens, "number");

  const stream = await client.chat.completions.create({
    model, messages, temperature: 0, max_tokens: 16, stream: true, stream_options: { include_usage: true },
  });
  let streamed = "";
  let chunks = 0;
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    chunks += 1;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (choice && choice.delta && choice.delta.content) streamed += choice.delta.content;
    if (choice && choice.finish_reason) finish = choice.finish_reason;
  }
  assert.ok(chunks > 2, "a stream of several chunks");
  assert.ok(usage, "stream_options.include_usage gives a usage chunk");

  const completion = await client.completions.create({ model, prompt: "The king said", temperature: 0, max_tokens: 12 });
  assert.equal(completion.object, "text_completion");

  const models = await client.models.list();
  assert.equal(models.data[0].id, model);

  console.log(JSON.stringify({
    chat: chat.choices[0].message.content,
    chat_usage: chat.usage,
    streamed,
    streamed_usage: usage,
    streamed_finish: finish,
    completion: completion.choices[0].text,
    completion_finish: completion.choices[0].finish_reason,
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
