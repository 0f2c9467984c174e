using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Training;
using SkiaSharp;

namespace MnistCnn.TestKit;

/// <summary>Small synthetic splits and results for the picture and report tests, and PNG and HTML helpers.</summary>
internal static class Fakes
{
    /// <summary>A split whose pixel values differ between images and positions and cover 0..255.</summary>
    public static DataSplit Split(int count, int height = 28, int width = 28, string name = "test")
    {
        var pixels = new byte[count * height * width];
        for (int i = 0; i < count; i++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    pixels[(i * height + y) * width + x] = (byte)((i * 37 + y * 11 + x * 5 + y * x) % 256);
                }
            }
        }
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        return new DataSplit(name, pixels, labels, height, width);
    }

    public static IReadOnlyList<EpochResult> Epochs(int count, bool validation) =>
        Enumerable.Range(1, count).Select(e => new EpochResult(e, count, 1.0 / e, 1 - 0.3 / e,
            validation ? 1.1 / e + 0.02 : null, validation ? 1 - 0.35 / e : null, 0.001, 2.5, 20_000)).ToArray();

    /// <summary>An evaluation of <paramref name="actual"/> where every <paramref name="wrongEvery"/>-th example is wrong.</summary>
    public static EvaluationResult Evaluation(byte[] actual, int wrongEvery = 7)
    {
        int n = actual.Length;
        var predicted = new int[n];
        var confidence = new float[n];
        for (int i = 0; i < n; i++)
        {
            bool wrong = i % wrongEvery == 3;
            predicted[i] = wrong ? (actual[i] + 1 + i % 3) % 10 : actual[i];
            confidence[i] = 0.5f + (i * 7919 % 500) / 1000f;
        }
        double accuracy = predicted.Zip(actual, (p, a) => p == a ? 1.0 : 0.0).Average();
        return new EvaluationResult(0.123, accuracy, n, predicted, actual.Select(a => (int)a).ToArray(), confidence);
    }

    public static TrainingResult Result(int epochs = 4, bool validation = true, EvaluationResult? test = null, string? outputPath = null,
        string runName = "fake-run", TrainingOptions? options = null) => new()
        {
            RunId = "run-" + runName,
            RunName = runName,
            Model = ModelPresets.Create(ModelPresets.KerasSeed),
            Options = options ?? new TrainingOptions { Epochs = epochs, BatchSize = 64, Seed = 42, ValidationSplit = validation ? 0.1 : 0 },
            Dataset = "Mnist",
            Epochs = Epochs(epochs, validation),
            Test = test,
            Status = RunStatus.Finished,
            Device = "cpu",
            StartTime = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            EndTime = new DateTimeOffset(2026, 1, 2, 3, 5, 5, TimeSpan.Zero),
            OutputPath = outputPath,
        };

    public static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new InvalidOperationException("Not a decodable image.");

    public static SKBitmap Decode(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(IsPng(bytes), $"{path} does not start with the PNG signature.");
        return Decode(bytes);
    }

    public static bool IsPng(byte[] bytes) =>
        bytes.Length > 8 && bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });

    /// <summary>Pixels in the rectangle that are clearly darker than the white background (text, lines).</summary>
    public static int DarkPixels(SKBitmap bitmap, int left, int top, int right, int bottom)
    {
        int count = 0;
        for (int y = Math.Max(0, top); y < Math.Min(bitmap.Height, bottom); y++)
        {
            for (int x = Math.Max(0, left); x < Math.Min(bitmap.Width, right); x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 3 * 160) count++;
            }
        }
        return count;
    }

    public static int PixelsNear(SKBitmap bitmap, SKColor color, int left, int top, int right, int bottom, int tolerance = 30)
    {
        int count = 0;
        for (int y = Math.Max(0, top); y < Math.Min(bitmap.Height, bottom); y++)
        {
            for (int x = Math.Max(0, left); x < Math.Min(bitmap.Width, right); x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Abs(c.Red - color.Red) <= tolerance && Math.Abs(c.Green - color.Green) <= tolerance && Math.Abs(c.Blue - color.Blue) <= tolerance) count++;
            }
        }
        return count;
    }

    public static int DistinctColours(SKBitmap bitmap)
    {
        var seen = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++) seen.Add((uint)bitmap.GetPixel(x, y));
        }
        return seen.Count;
    }

    /// <summary>A temporary folder removed on dispose.</summary>
    /// <summary>Three sweep trials; the second has the best test accuracy (fewest wrong predictions).</summary>
    public static IReadOnlyList<SweepTrial> SweepTrials(string? runsFolder = null)
    {
        var labels = Split(300).Labels;
        int[] wrongEvery = { 5, 40, 9 };
        return Enumerable.Range(0, 3).Select(i =>
        {
            string? output = runsFolder is null ? null : Path.Combine(runsFolder, $"trial {i}");
            var result = Result(epochs: 3 + i, validation: i != 2, test: Evaluation(labels, wrongEvery[i]), outputPath: output,
                runName: $"trial-{i}", options: new TrainingOptions { LearningRate = 0.001 * (i + 1), BatchSize = 32 << i });
            return new SweepTrial($"lr={0.001 * (i + 1)}", result, new Dictionary<string, string> { ["LearningRate"] = (0.001 * (i + 1)).ToString("R", System.Globalization.CultureInfo.InvariantCulture) });
        }).ToArray();
    }

    /// <summary>The HTML of the table with this id (from its opening tag to its end).</summary>
    public static string Section(string html, string id)
    {
        int start = html.IndexOf($"<table id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no table '{id}'");
        int end = html.IndexOf("</table>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mnistcnn-pictures-" + Guid.NewGuid().ToString("N"));
        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
