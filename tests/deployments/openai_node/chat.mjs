// The official `openai` npm package, unmodified, against the gateway: a chat, a streamed chat, the model list,
// and a refusal. Reads OPENAI_BASE_URL, OPENAI_API_KEY, MODEL, and DENIED_API_KEY (a key without text:generate);
// prints one JSON object with what it saw.
import OpenAI from 'openai';

const client = new OpenAI({ maxRetries: 0, timeout: 120_000 });
const messages = [
  { role: 'system', content: 'You are a concise clinical assistant.' },
  { role: 'user', content: process.env.PROMPT },
];
const out = {};

const whole = await client.chat.completions.create({ model: process.env.MODEL, messages, max_tokens: 64 });
out.whole = { id: whole.id, content: whole.choices[0].message.content, usage: whole.usage, phi: whole.phi };

const stream = await client.chat.completions.create({
  model: process.env.MODEL, messages, max_tokens: 64, stream: true, stream_options: { include_usage: true },
});
out.pieces = [];
for await (const chunk of stream) {
  out.streamId = chunk.id;
  if (chunk.usage) out.streamUsage = chunk.usage;
  const piece = chunk.choices[0]?.delta?.content;
  if (piece) out.pieces.push(piece);
}

out.models = [];
for await (const model of client.models.list()) out.models.push(model.id);

const denied = new OpenAI({ apiKey: process.env.DENIED_API_KEY, maxRetries: 0 });
try {
  await denied.chat.completions.create({ model: process.env.MODEL, messages, max_tokens: 8 });
  out.denied = null;
} catch (error) {
  out.denied = { status: error.status, name: error.constructor.name, type: error.type, message: error.message };
}
console.log(JSON.stringify(out));
