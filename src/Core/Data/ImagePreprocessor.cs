using System.Globalization;
using MnistCnn.Core.Diagnostics;
using SkiaSharp;

namespace MnistCnn.Core.Data;

/// <summary>
/// Turns an arbitrary PNG/JPEG into model input the way MNIST itself was made: greyscale, light backgrounds
/// inverted (MNIST digits are light on dark), the background level (the border's median) taken to black and the
/// strongest ink to white, the ink's bounding box scaled to fit 20x20 keeping its aspect ratio, then placed in the
/// 28x28 frame centred on its centre of mass. Images already at the model's size are
/// only converted to grey (and inverted when light), so exported dataset images predict exactly as in the dataset.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>Ink must stand out from the background by this many grey levels, or the image counts as blank.</summary>
    public const int MinimumContrast = 24;

    /// <summary>The most samples per axis one output pixel averages when shrinking (a 5,000 px tall digit is plenty).</summary>
    private const int MaxSamples = 256;

    public static readonly IReadOnlyCollection<string> SupportedExtensions = new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    /// <summary>The formats the decoder reads, as messages name them.</summary>
    public const string ReadableFormats = "PNG, JPEG, BMP, GIF or WebP";

    /// <summary>
    /// The most pixels an image may declare (50 million: a 48-megapixel phone photo fits). Decoding takes about
    /// 5 bytes a pixel and a second or so per 10 million; <c>Invoke-CnnPredict -MaxPixelCount</c> raises it.
    /// </summary>
    public const long DefaultMaxPixelCount = 50_000_000;

    /// <summary>Decodes and prepares one image file: 8-bit grey pixels of the model's input size.</summary>
    public static byte[] Load(string path, Preprocessing preprocessing) => Load(path, preprocessing, DefaultMaxPixelCount);

    /// <summary>
    /// Decodes and prepares one image file. The size comes from the header and is checked against
    /// <paramref name="maxPixelCount"/> before any pixel is decoded; a file that ends (or breaks) before its last
    /// pixel is refused (ImageIncomplete) rather than predicted from a partial picture.
    /// </summary>
    public static byte[] Load(string path, Preprocessing preprocessing, long maxPixelCount)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixelCount, 1);
        if (!File.Exists(path))
        {
            throw new MnistCnnException(DataErrorIds.ImageFileMissing, ErrorKind.ObjectNotFound, $"Image file '{path}' does not exist.", path);
        }
        using var codec = SKCodec.Create(path, out var opened);
        if (codec is null)
        {
            bool empty = new FileInfo(path).Length == 0;
            if (opened == SKCodecResult.IncompleteInput && !empty)
            {
                throw new MnistCnnException(DataErrorIds.ImageIncomplete, ErrorKind.InvalidData,
                    $"'{path}' ends inside its header (the file is truncated), so not even its size can be read. Download or save it again.", path);
            }
            string why = empty ? " (it is empty)" : opened == SKCodecResult.ErrorInInput ? " (its header is corrupt)" : " (it is not in a known image format)";
            throw new MnistCnnException(DataErrorIds.ImageDecodeFailed, ErrorKind.InvalidData,
                $"'{path}' is not an image this toolkit can read{why}. Use {ReadableFormats} files.", path);
        }
        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixelCount)
        {
            throw new MnistCnnException(DataErrorIds.ImageTooLarge, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                $"'{path}' declares {info.Width}x{info.Height} = {pixels:N0} pixels, more than the limit of {maxPixelCount:N0}; it was not decoded. Scale it down (a digit needs a few hundred pixels a side), or raise the limit with -MaxPixelCount if the picture is meant (decoding takes about 5 bytes of memory a pixel)."), path);
        }
        // As SKBitmap.Decode does, for the same pixels: premultiplied alpha and no colour space conversion.
        if (info.AlphaType == SKAlphaType.Unpremul) info.AlphaType = SKAlphaType.Premul;
        info.ColorSpace = null;
        SKBitmap bitmap;
        try
        {
            bitmap = new SKBitmap(info);
        }
        catch (Exception ex) when (ex is not MnistCnnException)
        {
            throw new MnistCnnException(DataErrorIds.ImageTooLarge, ErrorKind.ResourceUnavailable, string.Create(CultureInfo.InvariantCulture,
                $"'{path}' ({info.Width}x{info.Height} pixels) does not fit in memory: {ex.Message}. Scale it down or lower -MaxPixelCount."), path, ex);
        }
        using (bitmap)
        {
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result is SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput)
            {
                throw new MnistCnnException(DataErrorIds.ImageIncomplete, ErrorKind.InvalidData,
                    $"'{path}' ends or breaks before its last pixel ({(result == SKCodecResult.IncompleteInput ? "the file is truncated" : "the compressed data is corrupt")}); only part of the picture could be decoded, so it is not predicted. Download or save it again.", path);
            }
            if (result != SKCodecResult.Success)
            {
                throw new MnistCnnException(DataErrorIds.ImageDecodeFailed, ErrorKind.InvalidData,
                    $"'{path}' could not be decoded ({result}). Use {ReadableFormats} files.", path);
            }
            var grey = ToGrey(bitmap);
            return Prepare(grey, bitmap.Width, bitmap.Height, preprocessing);
        }
    }

    /// <summary>
    /// True when prepared model input holds no ink: no pixel stands out from the rest by
    /// <see cref="MinimumContrast"/> grey levels (an empty page, a lens cap photo, a uniform fill).
    /// </summary>
    public static bool IsBlank(ReadOnlySpan<byte> prepared)
    {
        if (prepared.IsEmpty) return true;
        byte min = byte.MaxValue, max = byte.MinValue;
        foreach (byte p in prepared)
        {
            if (p < min) min = p;
            if (p > max) max = p;
        }
        return max - min < MinimumContrast;
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

        var result = new byte[outW * outH];
        // Paper in a photo is rarely pure white (nor a blackboard pure black): the border's typical level is the
        // background, so it becomes 0 and the strongest ink 255. Without enough contrast there is no digit at all.
        int background = BorderMedian(grey, width, height);
        int strongest = grey.Max();
        if (strongest - background < MinimumContrast) return result;
        if (background > 0 || strongest < 255)
        {
            double gain = 255.0 / (strongest - background);
            grey = grey.Select(p => (byte)Math.Clamp(Math.Round((p - background) * gain), 0, 255)).ToArray();
        }

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

        // The centre of mass of the scaled digit goes to pixel (14, 14) of a 28x28 frame, where every MNIST digit
        // has it (to within half a pixel).
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < newH; y++)
        {
            for (int x = 0; x < newW; x++)
            {
                double v = pixels[(y * scaledRow) + x];
                mass += v; cx += v * x; cy += v * y;
            }
        }
        int offX = mass > 0 ? (int)Math.Round((outW / 2.0) - (cx / mass)) : (outW - newW) / 2;
        int offY = mass > 0 ? (int)Math.Round((outH / 2.0) - (cy / mass)) : (outH - newH) / 2;
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
    /// Resizes grey pixels by averaging a grid of bilinear samples per output pixel (at least 4x4, and at least one
    /// per source pixel when shrinking): smooth when shrinking a large photo of a digit, so thin strokes are never
    /// skipped between samples, and exact for constant regions.
    /// </summary>
    public static byte[] Resample(byte[] src, int srcW, int srcH, int dstW, int dstH)
    {
        ArgumentNullException.ThrowIfNull(src);
        var dst = new byte[dstW * dstH];
        double sx = (double)srcW / dstW, sy = (double)srcH / dstH;
        int samplesX = Math.Clamp((int)Math.Ceiling(sx), 4, MaxSamples), samplesY = Math.Clamp((int)Math.Ceiling(sy), 4, MaxSamples);
        for (int y = 0; y < dstH; y++)
        {
            for (int x = 0; x < dstW; x++)
            {
                double sum = 0;
                for (int j = 0; j < samplesY; j++)
                {
                    double fy = Math.Clamp(((y + ((j + 0.5) / samplesY)) * sy) - 0.5, 0, srcH - 1);
                    for (int i = 0; i < samplesX; i++)
                    {
                        double fx = Math.Clamp(((x + ((i + 0.5) / samplesX)) * sx) - 0.5, 0, srcW - 1);
                        sum += Bilinear(src, srcW, srcH, fx, fy);
                    }
                }
                dst[(y * dstW) + x] = (byte)Math.Clamp(Math.Round(sum / (samplesX * samplesY)), 0, 255);
            }
        }
        return dst;
    }

    /// <summary>Median grey level of the image's outermost rows and columns.</summary>
    public static int BorderMedian(byte[] grey, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(grey);
        var histogram = new int[256];
        int count = 0;
        for (int y = 0; y < height; y++)
        {
            bool edgeRow = y == 0 || y == height - 1;
            for (int x = 0; x < width; x++)
            {
                if (!edgeRow && x != 0 && x != width - 1) continue;
                histogram[grey[(y * width) + x]]++;
                count++;
            }
        }
        int seen = 0;
        for (int level = 0; level < 256; level++)
        {
            seen += histogram[level];
            if (seen * 2 >= count) return level;
        }
        return 0;
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
