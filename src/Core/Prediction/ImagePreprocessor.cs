using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using SkiaSharp;

namespace MnistCnn.Core.Prediction;

/// <summary>
/// Turns an arbitrary PNG/JPEG into model input the way MNIST itself was made: greyscale, light backgrounds
/// inverted (MNIST digits are light on dark), the ink's bounding box scaled to fit 20x20 keeping its aspect
/// ratio, then placed in the 28x28 frame centred on its centre of mass. Images already at the model's size are
/// only converted to grey (and inverted when light), so exported dataset images predict exactly as in the dataset.
/// </summary>
public static class ImagePreprocessor
{
    public static readonly IReadOnlyCollection<string> SupportedExtensions = new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    /// <summary>Decodes and prepares one image file: 8-bit grey pixels of the model's input size.</summary>
    public static byte[] Load(string path, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (!File.Exists(path))
        {
            throw new MnistCnnException("ImageFileMissing", ErrorKind.ObjectNotFound, $"Image file '{path}' does not exist.", path);
        }
        using var bitmap = SKBitmap.Decode(path);
        if (bitmap is null)
        {
            throw new MnistCnnException("ImageDecodeFailed", ErrorKind.InvalidData,
                $"'{path}' is not an image this toolkit can read. Use PNG or JPEG files.", path);
        }
        var grey = ToGrey(bitmap);
        return Prepare(grey, bitmap.Width, bitmap.Height, preprocessing);
    }

    /// <summary>Prepares raw 8-bit grey pixels (row-major, <paramref name="width"/> x <paramref name="height"/>).</summary>
    public static byte[] Prepare(byte[] grey, int width, int height, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(grey);
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (preprocessing.DarkBackground && IsLightBackground(grey, width, height))
        {
            grey = grey.Select(p => (byte)(255 - p)).ToArray();
        }
        int outW = preprocessing.Width, outH = preprocessing.Height;
        if (width == outW && height == outH) return grey;

        // Bounding box of the ink.
        int minX = width, minY = height, maxX = -1, maxY = -1;
        const int threshold = 32;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (grey[(y * width) + x] <= threshold) continue;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
        }
        var result = new byte[outW * outH];
        if (maxX < 0) return result; // blank image

        int boxW = maxX - minX + 1, boxH = maxY - minY + 1;
        // MNIST fits digits in a 20x20 box inside 28x28 (scaled for other sizes).
        double fit = Math.Min(outW, outH) * 20.0 / 28.0;
        double scale = fit / Math.Max(boxW, boxH);
        int newW = Math.Max(1, (int)Math.Round(boxW * scale));
        int newH = Math.Max(1, (int)Math.Round(boxH * scale));

        var crop = new byte[boxW * boxH];
        for (int y = 0; y < boxH; y++) Array.Copy(grey, ((minY + y) * width) + minX, crop, y * boxW, boxW);
        var pixels = Resample(crop, boxW, boxH, newW, newH);
        int scaledRow = newW;

        // Centre of mass of the scaled digit goes to the centre of the frame.
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < newH; y++)
        {
            for (int x = 0; x < newW; x++)
            {
                double v = pixels[(y * scaledRow) + x];
                mass += v; cx += v * x; cy += v * y;
            }
        }
        int offX = mass > 0 ? (int)Math.Round((outW / 2.0) - (cx / mass) - 0.5) : (outW - newW) / 2;
        int offY = mass > 0 ? (int)Math.Round((outH / 2.0) - (cy / mass) - 0.5) : (outH - newH) / 2;
        offX = Math.Clamp(offX, Math.Min(0, outW - newW), Math.Max(0, outW - newW));
        offY = Math.Clamp(offY, Math.Min(0, outH - newH), Math.Max(0, outH - newH));
        for (int y = 0; y < newH; y++)
        {
            int ty = y + offY;
            if (ty < 0 || ty >= outH) continue;
            for (int x = 0; x < newW; x++)
            {
                int tx = x + offX;
                if (tx < 0 || tx >= outW) continue;
                result[(ty * outW) + tx] = pixels[(y * scaledRow) + x];
            }
        }
        return result;
    }

    /// <summary>
    /// Resizes grey pixels by averaging a 4x4 grid of bilinear samples per output pixel: smooth when shrinking a
    /// large photo of a digit, and exact for constant regions.
    /// </summary>
    public static byte[] Resample(byte[] src, int srcW, int srcH, int dstW, int dstH)
    {
        ArgumentNullException.ThrowIfNull(src);
        const int samples = 4;
        var dst = new byte[dstW * dstH];
        double sx = (double)srcW / dstW, sy = (double)srcH / dstH;
        for (int y = 0; y < dstH; y++)
        {
            for (int x = 0; x < dstW; x++)
            {
                double sum = 0;
                for (int j = 0; j < samples; j++)
                {
                    double fy = Math.Clamp(((y + ((j + 0.5) / samples)) * sy) - 0.5, 0, srcH - 1);
                    for (int i = 0; i < samples; i++)
                    {
                        double fx = Math.Clamp(((x + ((i + 0.5) / samples)) * sx) - 0.5, 0, srcW - 1);
                        sum += Bilinear(src, srcW, srcH, fx, fy);
                    }
                }
                dst[(y * dstW) + x] = (byte)Math.Clamp(Math.Round(sum / (samples * samples)), 0, 255);
            }
        }
        return dst;
    }

    private static double Bilinear(byte[] src, int w, int h, double fx, double fy)
    {
        int x0 = (int)fx, y0 = (int)fy;
        int x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
        double ax = fx - x0, ay = fy - y0;
        double top = (src[(y0 * w) + x0] * (1 - ax)) + (src[(y0 * w) + x1] * ax);
        double bottom = (src[(y1 * w) + x0] * (1 - ax)) + (src[(y1 * w) + x1] * ax);
        return (top * (1 - ay)) + (bottom * ay);
    }

    /// <summary>Luminance (Rec. 601) of every pixel, with transparency composited over white.</summary>
    public static byte[] ToGrey(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        var grey = new byte[bitmap.Width * bitmap.Height];
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                double a = c.Alpha / 255.0;
                double l = (0.299 * c.Red) + (0.587 * c.Green) + (0.114 * c.Blue);
                grey[(y * bitmap.Width) + x] = (byte)Math.Clamp(Math.Round((l * a) + (255 * (1 - a))), 0, 255);
            }
        }
        return grey;
    }

    /// <summary>True when the image's border is mostly light: a dark digit on paper.</summary>
    public static bool IsLightBackground(byte[] grey, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(grey);
        long sum = 0;
        int count = 0;
        for (int x = 0; x < width; x++)
        {
            sum += grey[x] + grey[((height - 1) * width) + x];
            count += 2;
        }
        for (int y = 1; y < height - 1; y++)
        {
            sum += grey[y * width] + grey[(y * width) + width - 1];
            count += 2;
        }
        return count > 0 && sum / (double)count > 127;
    }
}
