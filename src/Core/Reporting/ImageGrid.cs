using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using SkiaSharp;

namespace MnistCnn.Core.Reporting;

/// <summary>How an image grid is laid out.</summary>
public sealed record ImageGridOptions
{
    /// <summary>Each image pixel becomes a Scale x Scale block (nearest neighbour), 1 to 32.</summary>
    public int Scale { get; init; } = 4;
    /// <summary>Images per row; null picks the smallest square that holds them all (9 images: 3 x 3).</summary>
    public int? Columns { get; init; }
    /// <summary>A line of text above the grid; null for none.</summary>
    public string? Title { get; init; }
}

/// <summary>One image of a grid and the text under it.</summary>
/// <param name="Pixels">Height x Width 8-bit pixels, row-major.</param>
/// <param name="Caption">Lines under the image (one or two).</param>
/// <param name="Highlight">Draw the second caption line in red (a wrong prediction).</param>
public sealed record GridCell(ReadOnlyMemory<byte> Pixels, IReadOnlyList<string> Caption, bool Highlight = false);

/// <summary>A rendered grid: the PNG and where each image's top-left pixel is, so callers and tests can find them.</summary>
public sealed record GridPicture(byte[] Png, int Width, int Height, int Scale, IReadOnlyList<(int X, int Y)> ImageOrigins);

/// <summary>
/// Draws images of a <see cref="DataSplit"/> as a labelled grid, like the tutorial's 3x3 matplotlib plot with
/// <c>cmap='gray'</c>: the digit is drawn as its raw value on black, R = G = B = pixel, so 0 is black and 255 is
/// white, and every image pixel becomes an exact Scale x Scale block (nearest neighbour, no smoothing).
/// </summary>
public static class ImageGrid
{
    private const int Margin = 10;
    private const int Gap = 12;
    private const float CaptionSize = 13f;
    private const float TitleSize = 16f;
    private static readonly SKColor Background = SKColors.White;
    private static readonly SKColor Ink = new(0x22, 0x22, 0x22);
    private static readonly SKColor Wrong = new(0xC6, 0x28, 0x28);

    /// <summary>The PNG of a grid of <paramref name="cells"/>, each <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static GridPicture Render(IReadOnlyList<GridCell> cells, int height, int width, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        options ??= new ImageGridOptions();
        int scale = options.Scale;
        if (scale is < 1 or > 32)
        {
            throw new MnistCnnException(ReportingErrorIds.ImageScaleInvalid, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Scale must be a whole number from 1 to 32 (got {scale})."), nameof(options.Scale));
        }
        if (cells.Count == 0)
        {
            throw new MnistCnnException(ReportingErrorIds.ImageSelectionEmpty, ErrorKind.InvalidArgument, "There are no images to draw: choose at least one.", null);
        }
        int columns = options.Columns ?? (int)Math.Ceiling(Math.Sqrt(cells.Count));
        if (columns < 1)
        {
            throw new MnistCnnException(ReportingErrorIds.ImageColumnsInvalid, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Columns must be at least 1 (got {columns})."), nameof(options.Columns));
        }
        columns = Math.Min(columns, cells.Count);
        int rows = (cells.Count + columns - 1) / columns;

        using var captionFont = ReportFont.Font(CaptionSize);
        using var titleFont = ReportFont.Font(TitleSize);
        int lines = cells.Max(c => c.Caption.Count);
        float widest = cells.SelectMany(c => c.Caption).Select(t => captionFont.MeasureText(t)).DefaultIfEmpty(0).Max();
        int imageWidth = width * scale, imageHeight = height * scale;
        int cellWidth = Math.Max(imageWidth, (int)Math.Ceiling(widest) + 4);
        int lineHeight = (int)Math.Ceiling(captionFont.Spacing);
        int cellHeight = imageHeight + 4 + lines * lineHeight;
        int titleHeight = options.Title is null ? 0 : (int)Math.Ceiling(titleFont.Spacing) + 6;

        int pictureWidth = 2 * Margin + columns * cellWidth + (columns - 1) * Gap;
        if (options.Title is not null) pictureWidth = Math.Max(pictureWidth, 2 * Margin + (int)Math.Ceiling(titleFont.MeasureText(options.Title)));
        int pictureHeight = 2 * Margin + titleHeight + rows * cellHeight + (rows - 1) * Gap;

        var info = new SKImageInfo(pictureWidth, pictureHeight, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info)
            ?? throw new MnistCnnException(DataErrorIds.ImageTooLarge, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"A {pictureWidth}x{pictureHeight} picture is too large to draw; choose fewer images or a smaller scale."), null);
        var canvas = surface.Canvas;
        canvas.Clear(Background);
        using var ink = new SKPaint { Color = Ink, IsAntialias = true };
        using var wrong = new SKPaint { Color = Wrong, IsAntialias = true };
        if (options.Title is not null)
        {
            canvas.DrawText(options.Title, pictureWidth / 2f, Margin - titleFont.Metrics.Ascent, SKTextAlign.Center, titleFont, ink);
        }

        var origins = new List<(int X, int Y)>(cells.Count);
        var nearest = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);
        var grayInfo = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var imagePaint = new SKPaint { IsAntialias = false };
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            if (cell.Pixels.Length != width * height)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Cell {i} has {cell.Pixels.Length} pixels, not {height}x{width}."), nameof(cells));
            }
            int cellX = Margin + (i % columns) * (cellWidth + Gap);
            int cellY = Margin + titleHeight + (i / columns) * (cellHeight + Gap);
            int x = cellX + (cellWidth - imageWidth) / 2;
            origins.Add((x, cellY));
            using (var image = SKImage.FromPixelCopy(grayInfo, cell.Pixels.Span, width))
            {
                canvas.DrawImage(image, SKRect.Create(x, cellY, imageWidth, imageHeight), nearest, imagePaint);
            }
            float baseline = cellY + imageHeight + 2 - captionFont.Metrics.Ascent;
            for (int line = 0; line < cell.Caption.Count; line++)
            {
                var paint = cell.Highlight && line == 1 ? wrong : ink;
                canvas.DrawText(cell.Caption[line], cellX + cellWidth / 2f, baseline + line * lineHeight, SKTextAlign.Center, captionFont, paint);
            }
        }
        return new GridPicture(Encode(surface), pictureWidth, pictureHeight, scale, origins);
    }

    /// <summary>
    /// A grid of the examples at <paramref name="indices"/> of <paramref name="split"/>, each captioned with its label
    /// (its class name, e.g. "Ankle boot", when <paramref name="classNames"/> are given) and its index.
    /// </summary>
    public static GridPicture Samples(DataSplit split, IReadOnlyList<int> indices, IReadOnlyList<string>? classNames = null, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(indices);
        ImageSelection.Check(indices, split);
        var cells = indices.Select(i => new GridCell(split.Pixels.AsMemory(i * split.Height * split.Width, split.Height * split.Width),
            new[] { LabelName(split.Labels[i], classNames), "#" + i.ToString(CultureInfo.InvariantCulture) })).ToList();
        return Render(cells, split.Height, split.Width, options);
    }

    /// <summary>Draws <see cref="Samples"/> and writes it to <paramref name="path"/> (its folder is created if missing).</summary>
    public static GridPicture WriteSamples(string path, DataSplit split, IReadOnlyList<int> indices, IReadOnlyList<string>? classNames = null, ImageGridOptions? options = null)
    {
        var picture = Samples(split, indices, classNames, options);
        PictureFiles.Write(path, picture.Png);
        return picture;
    }

    /// <summary>One example as a PNG of (Height x Scale) x (Width x Scale) pixels, nothing else in it.</summary>
    public static byte[] Single(DataSplit split, int index, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(split);
        ImageSelection.Check(new[] { index }, split);
        if (scale is < 1 or > 32)
        {
            throw new MnistCnnException(ReportingErrorIds.ImageScaleInvalid, ErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Scale must be a whole number from 1 to 32 (got {scale})."), nameof(scale));
        }
        var info = new SKImageInfo(split.Width * scale, split.Height * scale, SKColorType.Gray8, SKAlphaType.Opaque);
        using var surface = SKSurface.Create(info);
        using var image = SKImage.FromPixelCopy(new SKImageInfo(split.Width, split.Height, SKColorType.Gray8, SKAlphaType.Opaque), split.Image(index), split.Width);
        using var paint = new SKPaint { IsAntialias = false };
        surface.Canvas.DrawImage(image, SKRect.Create(0, 0, info.Width, info.Height), new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None), paint);
        return Encode(surface);
    }

    /// <summary>
    /// The file name of one example: split, zero-padded index and label, e.g. <c>test-00042-7.png</c> or
    /// <c>train-00000-Ankle-boot.png</c> (characters other than letters, digits and '-' become '-').
    /// </summary>
    public static string SingleFileName(DataSplit split, int index, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        string label = LabelName(split.Labels[index], classNames);
        var safe = new string(label.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-').ToArray()).Trim('-');
        string splitName = new(split.Name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        int digits = Math.Max(5, (split.Count - 1).ToString(CultureInfo.InvariantCulture).Length);
        return string.Create(CultureInfo.InvariantCulture, $"{splitName}-{index.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)}-{(safe.Length == 0 ? "label" : safe)}.png");
    }

    /// <summary>Writes one PNG per example into <paramref name="folder"/> (created if missing); returns the paths.</summary>
    public static IReadOnlyList<string> WriteSingles(string folder, DataSplit split, IReadOnlyList<int> indices, IReadOnlyList<string>? classNames = null, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(indices);
        ImageSelection.Check(indices, split);
        var paths = new List<string>(indices.Count);
        foreach (int index in indices)
        {
            string path = Path.Combine(folder, SingleFileName(split, index, classNames));
            PictureFiles.Write(path, Single(split, index, scale));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The display name of a label: its class name when known, else the number.</summary>
    public static string LabelName(int label, IReadOnlyList<string>? classNames) =>
        classNames is not null && label >= 0 && label < classNames.Count ? classNames[label] : label.ToString(CultureInfo.InvariantCulture);

    internal static byte[] Encode(SKSurface surface)
    {
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
