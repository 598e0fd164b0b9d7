import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage, encodePng, ImageDecodeError } from "./codec.js";

describe("decodeImage", () => {
  it("round-trips RGB through PNG exactly", async () => {
    const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, k) => (k * 37) % 256);
    const out = await decodeImage(await encodePng({ width: 5, height: 3, rgb }));
    expect(out).toMatchObject({ width: 5, height: 3, alpha: null });
    expect([...out.rgb]).toEqual([...rgb]);
  });

  it("expands grey to RGB and returns alpha separately", async () => {
    const grey = await sharp(Uint8Array.from([0, 100, 200, 255]), {
      raw: { width: 2, height: 2, channels: 1 },
    })
      .png()
      .toBuffer();
    const g = await decodeImage(grey);
    expect([...g.rgb]).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    const rgba = await sharp(Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    const a = await decodeImage(rgba);
    expect([...a.rgb]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...(a.alpha ?? [])]).toEqual([0, 255]);
  });

  it("rejects garbage, truncated files and images over the pixel limit", async () => {
    await expect(decodeImage(new TextEncoder().encode("<html>nope</html>"))).rejects.toThrow(
      ImageDecodeError,
    );
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#123456" } })
      .jpeg()
      .toBuffer();
    await expect(decodeImage(jpeg.subarray(0, jpeg.length / 2))).rejects.toThrow(ImageDecodeError);
    await expect(decodeImage(jpeg, { maxPixels: 64 * 63 })).rejects.toThrow(ImageDecodeError);
  });
});
