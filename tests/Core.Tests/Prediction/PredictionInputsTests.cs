using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Tests.Data;

namespace MnistCnn.Core.Tests.Prediction;

/// <summary>Sorting the files given to Invoke-CnnPredict: pictures, IDX images, IDX labels, folders.</summary>
public sealed class PredictionInputsTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-inputs-" + Guid.NewGuid().ToString("N")[..10]);

    public PredictionInputsTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void PicturesIdxImagesAndLabelsAreSorted_LabelsWithTheirImagesAreUsed()
    {
        using var model = TestImages.UntrainedModel();
        var inputs = new PredictionInputs(model);
        string picture = Path.Combine(root, "seven.png");
        TestImages.WriteGrey(picture, new byte[28 * 28], 28, 28);
        string images = Path.Combine(root, "t10k-images-idx3-ubyte");
        string labels = Path.Combine(root, "t10k-labels-idx1-ubyte");
        File.WriteAllBytes(images, DataTestFiles.Images(3, 28, 28));
        File.WriteAllBytes(labels, DataTestFiles.Labels(3));

        Assert.Null(inputs.Add(picture));
        Assert.Null(inputs.Add(labels));
        Assert.Null(inputs.Add(images));
        Assert.Equal(picture, Assert.Single(inputs.Images).Source);
        Assert.Equal(images, Assert.Single(inputs.IdxFiles));
        var (file, of, problem) = Assert.Single(inputs.LabelFiles());
        Assert.Equal((labels, images), (file, of));
        Assert.Null(problem);

        var predicted = inputs.PredictIdx(images, 2);
        Assert.Equal(3, predicted.Count);
        Assert.All(predicted, p => Assert.Equal(2, p.Top.Count));
        Assert.All(predicted, p => Assert.NotNull(p.Actual));
    }

    [Fact]
    public void ALabelsFileAloneAFolderAndABrokenPictureAreProblemsThatDoNotStopTheOthers()
    {
        using var model = TestImages.UntrainedModel();
        var inputs = new PredictionInputs(model);
        string labels = Path.Combine(root, "train-labels-idx1-ubyte");
        File.WriteAllBytes(labels, DataTestFiles.Labels(3));
        string broken = Path.Combine(root, "broken.png");
        File.WriteAllBytes(broken, [1, 2, 3, 4]);
        string picture = Path.Combine(root, "ok.png");
        TestImages.WriteGrey(picture, new byte[28 * 28], 28, 28);

        var folder = inputs.Add(root);
        Assert.Equal("PathIsFolder", folder!.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, folder.Kind);
        Assert.Contains(Path.Combine(root, "*.png"), folder.Message, StringComparison.Ordinal);
        Assert.NotNull(inputs.Add(broken));
        Assert.Null(inputs.Add(labels));
        Assert.Null(inputs.Add(picture));

        Assert.Equal(picture, Assert.Single(inputs.Images).Source);
        var alone = Assert.Single(inputs.LabelFiles()).Problem;
        Assert.Equal("IdxLabelsFileAlone", alone!.ErrorId);
        Assert.Contains("'train-images-idx3-ubyte'", alone.Message, StringComparison.Ordinal);
        Assert.Equal(labels, alone.Target);
    }
}
