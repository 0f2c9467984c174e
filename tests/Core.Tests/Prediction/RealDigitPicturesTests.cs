using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tests.Data;
using MnistCnn.Core.Training;
using SkiaSharp;

namespace MnistCnn.Core.Tests.Prediction;

/// <summary>
/// The tutorial model trained briefly on real MNIST (one epoch on the first 10,000 training images, seeded, with
/// Adam: about 94% on the test set, where the tutorial's RMSprop reaches about 90% this briefly), shared by the
/// tests of <see cref="RealDigitPicturesTests"/>. Null (and the tests skip visibly) without the MNIST files.
/// </summary>
public sealed class BrieflyTrainedMnistModel : IDisposable
{
    public BrieflyTrainedMnistModel()
    {
        var folder = DataTestFiles.RealMnistFolder();
        if (folder is null) return;
        Data = new MnistLoader().Load(DatasetKind.Mnist, folder).Subset(10_000);
        var result = new Trainer().Train(ModelPresets.Create(ModelPresets.KerasSeed), Data,
            new TrainingOptions { Epochs = 1, Seed = 1, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Adam, Report = false });
        Model = result.TrainedModel;
        TestAccuracy = result.TestAccuracy;
    }

    public MnistDataset? Data { get; }
    public TrainedModel? Model { get; }
    public double? TestAccuracy { get; }

    public void Dispose() => Model?.Dispose();
}

/// <summary>Pictures of real MNIST digits, as files, predict like the dataset images they were made from.</summary>
public sealed class RealDigitPicturesTests : IClassFixture<BrieflyTrainedMnistModel>, IDisposable
{
    private readonly BrieflyTrainedMnistModel trained;
    private readonly TempFolder temp = new();

    public RealDigitPicturesTests(BrieflyTrainedMnistModel trained) => this.trained = trained;

    public void Dispose() => temp.Dispose();

    private (TrainedModel Model, DataSplit Test) Require()
    {
        Skip.If(trained.Model is null, DataTestFiles.NoRealData);
        return (trained.Model!, trained.Data!.Test);
    }

    [SkippableFact]
    public void AGreyPngWrittenFromADatasetImagePredictsExactlyLikeTheDatasetImage()
    {
        var (model, test) = Require();
        var indices = Enumerable.Range(0, 20).ToArray();
        var fromFiles = new List<(string, byte[])>();
        foreach (int i in indices)
        {
            string file = temp.Sub($"test-{i}.png");
            TestImages.WriteGrey(file, TestImages.Pixels(test, i), 28, 28);
            var input = ImagePreprocessor.Load(file, model.Preprocessing);
            Assert.Equal(TestImages.Pixels(test, i), input); // lossless: the very same pixels
            fromFiles.Add((file, input));
        }
        var expected = Predictor.PredictSplit(model, test, indices);
        var actual = Predictor.PredictPixels(model, fromFiles);
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.Equal(expected[i].Label, actual[i].Label);
            Assert.Equal(expected[i].Top, actual[i].Top); // identical probabilities
        }
        // The model has learnt something, or the comparison above would prove little.
        Assert.True(trained.TestAccuracy > 0.9, $"test accuracy after the brief training was {trained.TestAccuracy:P1}");
    }

    [SkippableTheory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void PhotoStyleDigitsArePredictedLikeTheOriginals(SKEncodedImageFormat format)
    {
        // Dark ink on white paper, scaled up 7 times (196x196) with a 24 px margin: 244x244 pictures.
        var (model, test) = Require();
        const int count = 50;
        var indices = Enumerable.Range(0, count).ToArray();
        var pictures = new List<(string, byte[])>();
        foreach (int i in indices)
        {
            string file = temp.Sub($"photo-{i}.{(format == SKEncodedImageFormat.Png ? "png" : "jpg")}");
            TestImages.WritePhotoStyle(file, test.Image(i), 28, 7, 24, format);
            var (grey, width, height) = TestImages.ReadGrey(file);
            Assert.Equal((244, 244), (width, height));
            Assert.True(ImagePreprocessor.IsLightBackground(grey, width, height));
            pictures.Add((file, ImagePreprocessor.Load(file, model.Preprocessing)));
        }
        var originals = Predictor.PredictSplit(model, test, indices);
        var fromPictures = Predictor.PredictPixels(model, pictures);
        int same = originals.Zip(fromPictures).Count(p => p.First.Label == p.Second.Label);
        var differing = originals.Zip(fromPictures).Where(p => p.First.Label != p.Second.Label)
            .Select(p => $"{p.First.Index}: {p.First.Label} vs {p.Second.Label}");
        Assert.True(same >= 45, $"{same} of {count} pictures predicted like the originals; differing: {string.Join(", ", differing)}");
        // And the pictures are mostly right about the true digit.
        int right = fromPictures.Select((p, i) => p.Label == test.Labels[i]).Count(ok => ok);
        Assert.True(right >= 42, $"{right} of {count} pictures predicted as their true label");
    }

    [SkippableFact]
    public void DigitsOnGreyPaperArePredictedLikeTheOriginals()
    {
        var (model, test) = Require();
        const int count = 30;
        var indices = Enumerable.Range(100, count).ToArray();
        var pictures = new List<(string, byte[])>();
        foreach (int i in indices)
        {
            string file = temp.Sub($"grey-paper-{i}.jpg");
            TestImages.WritePhotoStyle(file, test.Image(i), 28, 6, 30, SKEncodedImageFormat.Jpeg, paper: 200);
            pictures.Add((file, ImagePreprocessor.Load(file, model.Preprocessing)));
        }
        var originals = Predictor.PredictSplit(model, test, indices);
        var fromPictures = Predictor.PredictPixels(model, pictures);
        int same = originals.Zip(fromPictures).Count(p => p.First.Label == p.Second.Label);
        Assert.True(same >= 27, $"{same} of {count} grey-paper pictures predicted like the originals");
    }
}
