using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Tests.Data;
using SkiaSharp;

namespace MnistCnn.Core.Tests.Prediction;

/// <summary>How picture files become 28x28 model input (no model involved).</summary>
public sealed class ImagePreprocessorTests : IDisposable
{
    private static readonly Preprocessing Mnist = new();
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>
    /// An asymmetric "digit" on a <paramref name="width"/> x <paramref name="height"/> page: a tall thick stroke
    /// on the left with a thin foot to the right (an L), so its centre of mass is far from its box's centre.
    /// Light ink (255) on black; <see cref="Invert"/> makes it dark on white.
    /// </summary>
    private static byte[] LShape(int width, int height, int left, int top, int boxWidth, int boxHeight, int stroke)
    {
        var grey = new byte[width * height];
        for (int y = top; y < top + boxHeight; y++)
        {
            for (int x = left; x < left + boxWidth; x++)
            {
                bool upright = x < left + stroke;
                bool foot = y >= top + boxHeight - (stroke / 3);
                if (upright || foot) grey[(y * width) + x] = 255;
            }
        }
        return grey;
    }

    private static byte[] Invert(byte[] grey) => grey.Select(p => (byte)(255 - p)).ToArray();

    [Fact]
    public void ImagesAtTheModelSizeAreOnlyInvertedWhenLight()
    {
        var digit = LShape(28, 28, 8, 4, 12, 20, 4);
        // MNIST style (light on dark): untouched.
        Assert.Equal(digit, ImagePreprocessor.Prepare(digit, 28, 28, Mnist));
        // Dark ink on white paper: inverted back to exactly the MNIST style.
        Assert.Equal(digit, ImagePreprocessor.Prepare(Invert(digit), 28, 28, Mnist));
        // A model trained on dark-on-light data (DarkBackground false) gets images as they are.
        var paper = Invert(digit);
        Assert.Equal(paper, ImagePreprocessor.Prepare(paper, 28, 28, Mnist with { DarkBackground = false }));
    }

    [Fact]
    public void LightBackgroundIsDetectedFromTheBorder()
    {
        var dark = LShape(40, 30, 10, 5, 15, 20, 5);
        Assert.False(ImagePreprocessor.IsLightBackground(dark, 40, 30));
        Assert.True(ImagePreprocessor.IsLightBackground(Invert(dark), 40, 30));
        // Lots of dark ink inside a white border is still a light background.
        var bold = Invert(LShape(40, 30, 2, 2, 36, 26, 30));
        Assert.True(ImagePreprocessor.IsLightBackground(bold, 40, 30));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void LargeNonSquareImagesAreFittedIntoTwentyPixelsKeepingTheAspectRatioAndCentredByMass(SKEncodedImageFormat format)
    {
        // 200x120 page, dark ink on white; the L is 60 wide and 90 tall, placed off-centre (top left).
        const int width = 200, height = 120;
        var page = Invert(LShape(width, height, 20, 10, 60, 90, 18));
        string file = temp.Sub("large." + (format == SKEncodedImageFormat.Png ? "png" : "jpg"));
        TestImages.WriteGrey(file, page, width, height, format);

        var input = ImagePreprocessor.Load(file, Mnist);

        Assert.Equal(28 * 28, input.Length);
        var box = TestImages.InkBox(input, 28, 28);
        // Longer side (the height) fitted to 20 px like MNIST; the width keeps the 60:90 ratio (13.3 px).
        Assert.InRange(box.Height, 19, 21);
        Assert.InRange(box.Width, 12, 15);
        // Centred by mass, not by box: the centre of mass sits where MNIST has it, pixel (14, 14) to within half a
        // pixel, while the box's centre does not.
        var (cx, cy) = TestImages.CentreOfMass(input, 28, 28);
        Assert.InRange(cx, 13.5, 14.5);
        Assert.InRange(cy, 13.5, 14.5);
        double boxCentreX = box.X + ((box.Width - 1) / 2.0);
        Assert.True(boxCentreX > cx + 1, $"the L's box centre ({boxCentreX}) should be right of its centre of mass ({cx})");
        // Light ink on black, like MNIST: the stroke is bright, the corners dark.
        Assert.Equal(0, input[0]);
        Assert.True(input.Max() >= 230, $"brightest pixel {input.Max()}");
    }

    [Fact]
    public void PngAndJpegOfTheSamePictureGiveNearlyTheSameInput()
    {
        const int width = 150, height = 180;
        var page = Invert(LShape(width, height, 40, 20, 70, 140, 20));
        string png = temp.Sub("same.png"), jpg = temp.Sub("same.jpg");
        TestImages.WriteGrey(png, page, width, height);
        TestImages.WriteGrey(jpg, page, width, height, SKEncodedImageFormat.Jpeg, 90);
        var a = ImagePreprocessor.Load(png, Mnist);
        var b = ImagePreprocessor.Load(jpg, Mnist);
        double meanDifference = a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanDifference < 4, $"mean pixel difference PNG vs JPEG was {meanDifference:F2}");
    }

    [Fact]
    public void TransparentPngsAreCompositedOverWhite()
    {
        // Black ink whose alpha is the digit, on fully transparent black: over white this is a dark digit on paper.
        var digit = LShape(28, 28, 8, 4, 12, 20, 4);
        for (int i = 0; i < digit.Length; i += 7) digit[i] = digit[i] > 0 ? (byte)180 : digit[i]; // some partial coverage
        var rgba = new byte[28 * 28 * 4];
        for (int i = 0; i < digit.Length; i++) rgba[(i * 4) + 3] = digit[i];
        string file = temp.Sub("transparent.png");
        TestImages.WriteRgba(file, rgba, 28, 28);
        // Composited over white (255 - alpha), seen as light, inverted back: exactly the alpha channel.
        Assert.Equal(digit, ImagePreprocessor.Load(file, Mnist));

        // A large transparent picture gives what the same picture on white gives.
        const int w = 160, h = 120;
        var big = LShape(w, h, 30, 10, 50, 100, 16);
        var bigRgba = new byte[w * h * 4];
        for (int i = 0; i < big.Length; i++) bigRgba[(i * 4) + 3] = big[i];
        string transparent = temp.Sub("big-transparent.png"), white = temp.Sub("big-white.png");
        TestImages.WriteRgba(transparent, bigRgba, w, h);
        TestImages.WriteGrey(white, Invert(big), w, h);
        Assert.Equal(ImagePreprocessor.Load(white, Mnist), ImagePreprocessor.Load(transparent, Mnist));
    }

    [Theory]
    [InlineData(200, 120, 255)]
    [InlineData(50, 50, 0)]
    [InlineData(28, 28, 255)]
    [InlineData(64, 96, 128)]
    public void BlankImagesGiveABlankInput(int width, int height, byte level)
    {
        string file = temp.Sub($"blank-{width}x{height}-{level}.png");
        TestImages.WriteGrey(file, Enumerable.Repeat(level, width * height).ToArray(), width, height);
        var input = ImagePreprocessor.Load(file, Mnist);
        Assert.Equal(28 * 28, input.Length);
        Assert.All(input, p => Assert.Equal(0, p));
    }

    [Fact]
    public void DigitsOnGreyPaperAreFittedLikeDigitsOnWhitePaper()
    {
        // A photo of paper is rarely pure white: the page here is light grey (190) and the ink dark grey (40).
        const int width = 180, height = 160;
        var shape = LShape(width, height, 30, 20, 60, 110, 18);
        var white = Invert(shape);
        var grey = shape.Select(p => p > 0 ? (byte)40 : (byte)190).ToArray();
        string whiteFile = temp.Sub("white-paper.png"), greyFile = temp.Sub("grey-paper.png");
        TestImages.WriteGrey(whiteFile, white, width, height);
        TestImages.WriteGrey(greyFile, grey, width, height);

        var expected = ImagePreprocessor.Load(whiteFile, Mnist);
        var actual = ImagePreprocessor.Load(greyFile, Mnist);

        var box = TestImages.InkBox(actual, 28, 28);
        Assert.InRange(box.Height, 19, 21);
        Assert.Equal(0, actual[0]); // the paper is background, not ink
        double meanDifference = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanDifference < 3, $"mean pixel difference grey vs white paper was {meanDifference:F2}");
    }

    [Fact]
    public void UnreadableFilesFailWithImageDecodeFailed()
    {
        string text = temp.Sub("notes.png");
        File.WriteAllText(text, "this is not a picture");
        string empty = temp.Sub("empty.jpg");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        foreach (var file in new[] { text, empty })
        {
            var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(file, Mnist));
            Assert.Equal("ImageDecodeFailed", error.ErrorId);
            Assert.Equal(ErrorKind.InvalidData, error.Kind);
            Assert.Equal(file, error.Target);
            Assert.Contains(file, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MissingFilesFailWithImageFileMissing()
    {
        string missing = temp.Sub("nowhere.png");
        var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(missing, Mnist));
        Assert.Equal("ImageFileMissing", error.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThinStrokesOfAHugePictureSurviveTheShrinkWhereverTheyFall()
    {
        // A 900 px tall frame (two vertical bars) with a 10 px horizontal stroke between them: shrunk 45 times, the
        // stroke is a fifth of an output pixel tall, so each column under it must carry about a fifth of full ink
        // (255 * 10 / 45 = 57 summed down the column), wherever the stroke falls; too few samples would miss it.
        const int side = 1000;
        for (int offset = 0; offset < 45; offset += 4)
        {
            var page = new byte[side * side];
            for (int y = 50; y < 950; y++)
            {
                for (int x = 50; x < 950; x++)
                {
                    bool bar = x < 60 || x >= 940;
                    bool stroke = y >= 400 + offset && y < 410 + offset;
                    if (bar || stroke) page[(y * side) + x] = 255;
                }
            }
            var input = ImagePreprocessor.Prepare(page, side, side, Mnist);
            var box = TestImages.InkBox(input, 28, 28, threshold: 0);
            int middle = box.X + (box.Width / 2);
            int columnInk = Enumerable.Range(0, 28).Sum(y => input[(y * 28) + middle]);
            Assert.True(columnInk is >= 40 and <= 75, $"stroke at offset {offset}: column {middle} holds {columnInk} of ink, expected about 57");
        }
    }

    [Fact]
    public void ResampleKeepsConstantRegionsExact()
    {
        var flat = Enumerable.Repeat((byte)77, 90 * 60).ToArray();
        Assert.All(ImagePreprocessor.Resample(flat, 90, 60, 20, 13), p => Assert.Equal(77, p));
        Assert.All(ImagePreprocessor.Resample(flat, 90, 60, 200, 130), p => Assert.Equal(77, p));
    }
}
