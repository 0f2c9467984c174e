using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Reporting;

/// <summary>What the layers see: each convolution layer's activation maps for an image, and the first layer's filters.</summary>
public sealed class FeatureMapsTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-features-" + Guid.NewGuid().ToString("N"));
    private static readonly Lazy<(TrainedModel Model, MnistCnn.Core.Data.MnistDataset Data)> Trained = new(() =>
    {
        var data = SyntheticData.Create(train: 256, test: 16);
        var result = new Trainer().Train(ModelPresets.Create(ModelPresets.KerasSeed), data,
            new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 3, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Adam });
        return (result.TrainedModel!, data);
    });

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void DrawsTheInputEveryConvolutionsMapsAndTheFirstFilters()
    {
        var (model, data) = Trained.Value;
        var pictures = FeatureMaps.Draw(model, data.Test.Image(0));

        Assert.Equal(new[] { "input", "conv2d", "conv2d_1", "conv2d_2", "conv2d" }, pictures.Select(p => p.Layer));
        Assert.Equal(new[] { FeatureMapKind.Input, FeatureMapKind.Activations, FeatureMapKind.Activations, FeatureMapKind.Activations, FeatureMapKind.Filters },
            pictures.Select(p => p.Kind));
        // The tutorial's convolutions: 32 maps of 26x26, 64 of 11x11, 64 of 3x3; 32 filters of 3x3.
        Assert.Equal(new[] { (1, 28, 28), (32, 26, 26), (64, 11, 11), (64, 3, 3), (32, 3, 3) }, pictures.Select(p => (p.Maps, p.MapHeight, p.MapWidth)));
        foreach (var p in pictures)
        {
            using var bitmap = Fakes.Decode(p.Png);
            Assert.Equal((p.Width, p.Height), (bitmap.Width, bitmap.Height));
            // Maps are enlarged to at least 48 pixels, eight to a row.
            Assert.True(p.MapHeight * p.Scale >= 48 && (p.MapHeight * (p.Scale - 1)) < 48, $"{p.Layer}: scale {p.Scale}");
            int columns = Math.Min(8, p.Maps), rows = (p.Maps + 7) / 8;
            Assert.True(bitmap.Width >= columns * p.MapWidth * p.Scale, $"{p.Layer}: {bitmap.Width} px wide");
            Assert.True(bitmap.Height >= rows * p.MapHeight * p.Scale, $"{p.Layer}: {bitmap.Height} px high");
        }
    }

    [Fact]
    public void TheMapsChangeWithTheInputTheFiltersDoNot()
    {
        var (model, data) = Trained.Value;
        int other = Enumerable.Range(1, data.Test.Count - 1).First(i => data.Test.Labels[i] != data.Test.Labels[0]);
        var a = FeatureMaps.Draw(model, data.Test.Image(0));
        var again = FeatureMaps.Draw(model, data.Test.Image(0));
        var b = FeatureMaps.Draw(model, data.Test.Image(other));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Png, again[i].Png);
            if (a[i].Kind == FeatureMapKind.Filters) Assert.Equal(a[i].Png, b[i].Png);
            else Assert.NotEqual(a[i].Png, b[i].Png);
        }
    }

    [Fact]
    public void WritesOneFilePerPictureAndRefusesAWrongSizeOrAModelWithoutConvolutions()
    {
        var (model, data) = Trained.Value;
        var written = FeatureMaps.Write(root, FeatureMaps.Draw(model, data.Test.Image(1)));
        Assert.Equal(new[] { "features-conv2d.png", "features-conv2d_1.png", "features-conv2d_2.png", "features-input.png", "filters-conv2d.png" },
            Directory.GetFiles(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(written, w => Assert.Equal(w.Png, File.ReadAllBytes(w.Path!)));

        Assert.Equal("ImageSizeMismatch", Assert.Throws<MnistCnnException>(() => FeatureMaps.Draw(model, new byte[100])).ErrorId);
        var dense = new ModelSpec(InputShape.Mnist, 10, [new FlattenSpec(), new DenseSpec(10, Activation.Softmax)], "dense");
        using var flat = new TrainedModel(new CnnModel(dense), dense, new Preprocessing(), MnistCnn.Core.Data.MnistDataset.ClassNamesOf(MnistCnn.Core.Data.DatasetKind.Mnist), "x", TorchSharp.torch.CPU);
        Assert.Equal("ModelHasNoConvolution", Assert.Throws<MnistCnnException>(() => FeatureMaps.Draw(flat, data.Test.Image(0))).ErrorId);
    }

    [Fact]
    public void TheRunReportShowsWhatTheLayersSeeForTheFirstTestDigit()
    {
        var data = SyntheticData.Create(train: 128, test: 16, seed: 5);
        var spec = new ModelSpec(InputShape.Mnist, 10, [new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new Conv2DSpec(6, 3, 3, Padding: Padding.Same), new FlattenSpec(), new DenseSpec(10, Activation.Softmax)], "two-conv");
        var output = Path.Combine(root, "run");
        // The report is an observer of the run, as Start-CnnTraining and experiment trials attach it.
        var result = new Trainer().Train(spec, data, new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 1, Device = DeviceKind.Cpu, OutputPath = output },
            [new RunReportObserver(data.Test, data.ClassNames)]);
        using var model = result.TrainedModel!;
        var expected = FeatureMaps.Draw(model, data.Test.Image(0));
        string html = File.ReadAllText(Path.Combine(output, RunReport.HtmlFile));
        Assert.Contains("<h2>What the layers see</h2>", html, StringComparison.Ordinal);
        Assert.Contains($"Test image 0 (class {data.Test.Labels[0]})", html, StringComparison.Ordinal);
        foreach (var p in expected)
        {
            Assert.Equal(p.Png, File.ReadAllBytes(Path.Combine(output, p.FileName)));
            Assert.Contains("data:image/png;base64," + Convert.ToBase64String(p.Png), html, StringComparison.Ordinal);
        }

        // Written again once the model in memory is gone, the report draws them from the run's saved model.
        model.Dispose();
        RunReport.Write(output, result, data.Test, null);
        Assert.Contains("<h2>What the layers see</h2>", File.ReadAllText(Path.Combine(output, RunReport.HtmlFile)), StringComparison.Ordinal);
        Assert.Equal(expected[1].Png, File.ReadAllBytes(Path.Combine(output, "features-conv2d.png")));
        // Without a test split there is no section, and no stale picture is left behind.
        RunReport.Write(output, result, null, null);
        Assert.DoesNotContain("What the layers see", File.ReadAllText(Path.Combine(output, RunReport.HtmlFile)), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output, "features-*.png"));
    }
}
