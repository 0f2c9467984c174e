using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Data;

/// <summary>Your own images as a folder of class sub-folders (Keras image_dataset_from_directory / torchvision ImageFolder).</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class ImageFolderLoaderTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-folder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    /// <summary>Writes examples of a split as PNGs into root/&lt;class name&gt;/, named after their index.</summary>
    private string WriteFolder(string name, DataSplit split, IReadOnlyList<int> indices, IReadOnlyList<string> classNames)
    {
        string folder = Path.Combine(root, name);
        foreach (var group in indices.GroupBy(i => split.Labels[i]))
        {
            ImageGrid.WriteSingles(Path.Combine(folder, classNames[group.Key]), split, group.ToArray());
        }
        return folder;
    }

    private static int IndexOf(string file) => int.Parse(Path.GetFileName(file).Split('-')[1], System.Globalization.CultureInfo.InvariantCulture);

    [SkippableFact]
    public void MnistTestImagesSavedAsPngTrainLikeTheSameImagesFromIdx()
    {
        var real = DataTestFiles.RealMnistFolder();
        Skip.If(real is null, DataTestFiles.NoRealData);
        var mnist = new MnistLoader().Load(DatasetKind.Mnist, real);
        var indices = Enumerable.Range(0, 3000).ToArray();
        var folder = WriteFolder("mnist-png", mnist.Test, indices, mnist.ClassNames);

        var imported = ImageFolderLoader.Load(folder, testFraction: 0.25, seed: 1);
        Assert.Empty(imported.Problems);
        var fromPng = imported.Dataset;
        Assert.Equal(DatasetKind.ImageFolder, fromPng.Kind);
        Assert.Equal("mnist-png", fromPng.Name);
        Assert.Equal(mnist.ClassNames, fromPng.ClassNames);
        Assert.Equal(3000, fromPng.Train.Count + fromPng.Test.Count);

        // The same images from IDX, in the same order: the PNG round trip and the preparation change no pixel.
        var trainIdx = imported.TrainFiles.Select(IndexOf).ToArray();
        var testIdx = imported.TestFiles.Select(IndexOf).ToArray();
        var fromIdx = new MnistDataset(DatasetKind.Mnist, mnist.Test.Select(trainIdx, "train"), mnist.Test.Select(testIdx, "test"), real);
        Assert.Equal(fromIdx.Train.Pixels, fromPng.Train.Pixels);
        Assert.Equal(fromIdx.Train.Labels, fromPng.Train.Labels);
        Assert.Equal(fromIdx.Test.Pixels, fromPng.Test.Pixels);
        Assert.Equal(fromIdx.Test.Labels, fromPng.Test.Labels);
        // Stratified: every class has a quarter of its images (rounded) in the test split.
        var counts = indices.GroupBy(i => mnist.Test.Labels[i]).ToDictionary(g => (int)g.Key, g => g.Count());
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal((int)Math.Floor((counts[c] * 0.25) + 0.5), fromPng.TestLabelCounts[c]));

        var options = new TrainingOptions { Epochs = 2, Seed = 1, Device = DeviceKind.Cpu };
        var png = new Trainer().Train(ModelPresets.Create(ModelPresets.KerasSeed), fromPng, options);
        var idx = new Trainer().Train(ModelPresets.Create(ModelPresets.KerasSeed), fromIdx, options);
        using var pngModel = png.TrainedModel!;
        using var idxModel = idx.TrainedModel!;
        Assert.Equal(mnist.ClassNames, pngModel.ClassNames);
        Assert.Equal("mnist-png", pngModel.Dataset);
        Assert.True(idx.TestAccuracy > 0.75, $"IDX accuracy {idx.TestAccuracy:P2}");
        Assert.True(Math.Abs(png.TestAccuracy!.Value - idx.TestAccuracy!.Value) <= 0.005,
            $"from PNG {png.TestAccuracy:P2}, from IDX {idx.TestAccuracy:P2}");
    }

    [Fact]
    public void ClassNamesComeFromTheSortedFolderNamesAndTheSplitIsSeeded()
    {
        var data = SyntheticData.Create(train: 60, test: 1, seed: 4);
        var names = new[] { "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine" };
        var folder = WriteFolder("words", data.Train, Enumerable.Range(0, 60).ToArray(), names);
        // A photo-style picture in a nested folder: light paper, prepared like Invoke-CnnPredict does.
        Directory.CreateDirectory(Path.Combine(folder, "one", "more"));
        File.Copy(Directory.GetFiles(Path.Combine(folder, "one"))[0], Path.Combine(folder, "one", "more", "copy.PNG"));
        File.WriteAllText(Path.Combine(folder, "one", "notes.txt"), "not an image, ignored");

        var a = ImageFolderLoader.Load(folder, 0.3, seed: 5);
        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(sorted, a.Dataset.ClassNames);
        Assert.Equal(10, a.Dataset.Classes);
        Assert.Equal(61, a.Dataset.Train.Count + a.Dataset.Test.Count);
        Assert.Contains(a.TrainFiles.Concat(a.TestFiles), f => f.EndsWith("copy.PNG", StringComparison.Ordinal));
        for (int i = 0; i < a.TrainFiles.Count; i++)
        {
            // The class is the first folder under the root, however deep the file is.
            var classFolder = Path.GetRelativePath(folder, a.TrainFiles[i]).Split(Path.DirectorySeparatorChar)[0];
            Assert.Equal(sorted[a.Dataset.Train.Labels[i]], classFolder);
        }
        var again = ImageFolderLoader.Load(folder, 0.3, seed: 5);
        Assert.Equal(a.TestFiles, again.TestFiles);
        Assert.Equal(a.Dataset.Checksums["images"], again.Dataset.Checksums["images"]);
        var other = ImageFolderLoader.Load(folder, 0.3, seed: 6);
        Assert.NotEqual(a.TestFiles, other.TestFiles);
        // Every class with two or more images is in both splits.
        Assert.All(Enumerable.Range(0, 10).Where(c => a.Dataset.TestLabelCounts[c] + a.Dataset.TrainLabelCounts[c] >= 2),
            c => Assert.True(a.Dataset.TestLabelCounts[c] >= 1 && a.Dataset.TrainLabelCounts[c] >= 1, $"class {sorted[c]} is missing from a split"));
    }

    [Fact]
    public void AnUnreadableFileIsSkippedAndReportedTheRestIsUsed()
    {
        var data = SyntheticData.Create(train: 20, test: 1, seed: 2);
        var folder = WriteFolder("broken", data.Train, Enumerable.Range(0, 20).ToArray(), MnistDataset.ClassNamesOf(DatasetKind.Mnist));
        var any = Directory.GetDirectories(folder)[0];
        var bad = Path.Combine(any, "bad.png");
        File.WriteAllText(bad, "this is not a PNG");
        var imported = ImageFolderLoader.Load(folder, 0.2);
        var problem = Assert.Single(imported.Problems);
        Assert.Equal(bad, problem.Path);
        Assert.Equal("ImageDecodeFailed", problem.Error.ErrorId);
        Assert.Equal(20, imported.Dataset.Train.Count + imported.Dataset.Test.Count);
    }

    [Fact]
    public void AnEmptyClassIsAnErrorThatNamesIt()
    {
        var data = SyntheticData.Create(train: 20, test: 1, seed: 2);
        var folder = WriteFolder("gap", data.Train, Enumerable.Range(0, 20).ToArray(), MnistDataset.ClassNamesOf(DatasetKind.Mnist));
        Directory.CreateDirectory(Path.Combine(folder, "x-empty"));
        File.WriteAllText(Path.Combine(folder, "x-empty", "only.png"), "not a PNG either");
        var ex = Assert.Throws<MnistCnnException>(() => ImageFolderLoader.Load(folder));
        Assert.Equal(DataErrorIds.ImageClassEmpty, ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Contains("x-empty", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(folder, "x-empty"), ex.Target);
    }

    [Fact]
    public void AFolderWithoutClassFoldersOrABadFractionIsAnError()
    {
        Directory.CreateDirectory(Path.Combine(root, "flat"));
        var flat = Assert.Throws<MnistCnnException>(() => ImageFolderLoader.Load(Path.Combine(root, "flat")));
        Assert.Equal(DataErrorIds.ImageFolderNoClasses, flat.ErrorId);
        Assert.False(ImageFolderLoader.IsImageFolder(Path.Combine(root, "flat")));
        // Pictures straight in the folder, without class folders: meant as an image folder, told how to lay it out.
        var loose = SyntheticData.Create(train: 2, test: 1, seed: 2);
        ImageGrid.WriteSingles(Path.Combine(root, "flat"), loose.Train, [0, 1]);
        Assert.True(ImageFolderLoader.IsImageFolder(Path.Combine(root, "flat")));
        Assert.Contains("one sub-folder per class", Assert.Throws<MnistCnnException>(() => ImageFolderLoader.Load(Path.Combine(root, "flat"))).Message, StringComparison.Ordinal);

        var data = SyntheticData.Create(train: 20, test: 1, seed: 2);
        var folder = WriteFolder("ok", data.Train, Enumerable.Range(0, 20).ToArray(), MnistDataset.ClassNamesOf(DatasetKind.Mnist));
        Assert.True(ImageFolderLoader.IsImageFolder(folder));
        foreach (var fraction in new[] { 0.0, 1.0, -0.1, double.NaN })
        {
            Assert.Equal(DataErrorIds.TestFractionInvalid, Assert.Throws<MnistCnnException>(() => ImageFolderLoader.Load(folder, fraction)).ErrorId);
        }
        Assert.Equal(DataErrorIds.DataFolderNotFound, Assert.Throws<MnistCnnException>(() => ImageFolderLoader.Load(Path.Combine(root, "missing"))).ErrorId);
    }
}
