/** gzip of UTF-8 text and back, with the runtime's native CompressionStream (workerd and Node 18+). */

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function gzipText(text: string): Promise<Uint8Array> {
  const input = new Blob([text]).stream();
  return collect(input.pipeThrough(new CompressionStream("gzip")));
}

export async function gunzipText(bytes: Uint8Array): Promise<string> {
  const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  return new Response(input.pipeThrough(new DecompressionStream("gzip"))).text();
}
