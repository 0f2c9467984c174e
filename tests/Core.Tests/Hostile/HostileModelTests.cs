using MnistCnn.Core.Data;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Tests.Data;
using MnistCnn.Core.Tests.Prediction;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>Broken model folders: each problem is found at load, names the file, and all are listed at once (issue #12).</summary>
public sealed class HostileModelTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string folder;
    private readonly string manifestPath;
    private readonly string weightsPath;

    public HostileModelTests()
    {
        folder = temp.Sub("model");
        using var model = TestImages.UntrainedModel();
        ModelStore.Save(model, folder);
        manifestPath = Path.Combine(folder, ModelStore.ManifestFile);
        weightsPath = Path.Combine(folder, ModelStore.WeightsFile);
    }

    public void Dispose() => temp.Dispose();

    private void EditManifest(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        edit(json);
        File.WriteAllText(manifestPath, json.ToJsonString());
    }

    private MnistCnnException LoadFails(string errorId)
    {
        var error = Assert.Throws<MnistCnnException>(() => ModelStore.Load(folder).Dispose());
        Assert.True(error.ErrorId == errorId, $"expected {errorId}, got {error.ErrorId}: {error.Message}");
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        return error;
    }

    [Fact]
    public void IntactFolderLoads()
    {
        using var model = ModelStore.Load(folder);
        Assert.Equal(10, model.ClassNames.Count);
        Assert.Equal(new Preprocessing(), model.Preprocessing);
    }

    [Fact]
    public void PreprocessingHeightZeroIsRefusedAtLoadNamingTheFile()
    {
        EditManifest(m => m["preprocessing"]!["height"] = 0);
        var error = LoadFails("ModelFileInvalid");
        Assert.Equal(manifestPath, error.Target);
        Assert.StartsWith(manifestPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing.height: 0 must be between 1 and", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassNameCountThatDiffersFromTheOutputsIsRefused()
    {
        EditManifest(m => m["classNames"]!.AsArray().RemoveAt(9));
        var error = LoadFails("ModelFileInvalid");
        Assert.Contains("classNames: 9 names but the model has 10 outputs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryManifestProblemIsListedAtOnce()
    {
        EditManifest(m =>
        {
            m["preprocessing"]!["width"] = 27;
            m["preprocessing"]!["scale"] = -1;
            m["classNames"]!.AsArray().Add("extra");
            m["model"]!["layers"]!.AsArray().Insert(1, new JsonObject { ["type"] = "lstm" });
            m["testAccuracy"] = "high";
        });
        var error = LoadFails("ModelFileInvalid");
        Assert.Contains("5 problems", error.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing: images are prepared as 28x27 but the model's input is 28x28", error.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing.scale: -1 must be a positive number", error.Message, StringComparison.Ordinal);
        Assert.Contains("classNames: 11 names", error.Message, StringComparison.Ordinal);
        Assert.Contains("model.layers[1].type: unknown layer type 'lstm'", error.Message, StringComparison.Ordinal);
        Assert.Contains("testAccuracy: must be a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownLayerTypeNamesTheFile()
    {
        EditManifest(m => m["model"]!["layers"]![0]!["type"] = "conv3d");
        var error = LoadFails("ModelFileInvalid");
        Assert.Equal(manifestPath, error.Target);
        Assert.Contains(manifestPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("model.layers[0].type: unknown layer type 'conv3d'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongJsonTypesAreProblemsNotCrashes()
    {
        EditManifest(m =>
        {
            m["model"]!["input"] = "28x28";
            m["model"]!["layers"]![0]!["filters"] = "four";
            m["preprocessing"] = new JsonArray();
        });
        var error = LoadFails("ModelFileInvalid");
        Assert.Contains("model.input: must be [height, width, channels]", error.Message, StringComparison.Ordinal);
        Assert.Contains("model.layers[0].filters: must be an integer", error.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing: must be an object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerStackProblemsAreAllListed()
    {
        EditManifest(m =>
        {
            var layers = m["model"]!["layers"]!.AsArray();
            layers[0]!["filters"] = 0;                         // bad argument, the shape after it is unknown
            layers.Insert(3, new JsonObject { ["type"] = "dropout", ["rate"] = 1.5 });
        });
        var error = LoadFails("ModelFileInvalid");
        Assert.Contains("model.layers[0] (conv2d): filters must be at least 1 (got 0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("model.layers[3] (dropout): dropout rate must be in [0, 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedWeightsAreReportedAsTruncatedNotAsAMismatch()
    {
        var bytes = File.ReadAllBytes(weightsPath);
        foreach (double keep in new[] { 0.5, 0.999 })
        {
            File.WriteAllBytes(weightsPath, bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
            var error = LoadFails("ModelWeightsInvalid");
            Assert.Equal(weightsPath, error.Target);
            Assert.Contains("is truncated", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("does not match", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WeightsOfAnotherArchitectureAreAMismatch()
    {
        // One unit fewer in the hidden Dense layer: the file is long enough but its shapes differ.
        EditManifest(m => m["model"]!["layers"]![3]!["units"] = 15);
        var error = LoadFails("ModelWeightsInvalid");
        Assert.Contains("belongs to another model", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"stores .* as \[16, \d+\] but the architecture in model.json needs \[15, \d+\]", error.Message);
    }

    [Fact]
    public void HugeDeclaredModelIsRefusedBeforeItIsBuilt()
    {
        // A hidden layer of 2 billion units would need terabytes; the weights file cannot hold them, so nothing is allocated.
        EditManifest(m => m["model"]!["layers"]![3]!["units"] = 2_000_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = LoadFails("ModelWeightsInvalid");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50L << 20);
        Assert.Contains("is truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinimumWeightsSizeMatchesWhatIsSaved()
    {
        using var model = ModelStore.Load(folder);
        long needed = ModelManifest.MinimumWeightsBytes(model.Spec);
        long actual = new FileInfo(weightsPath).Length;
        // The saved file is the values plus names and shapes: a few hundred bytes over the bound, never under.
        Assert.InRange(actual - needed, 1, 1000);
    }

    [Fact]
    public void ManifestThatIsNotJsonKeepsItsId()
    {
        File.WriteAllText(manifestPath, "{ not json");
        var error = LoadFails("ModelFileInvalid");
        Assert.Contains("is not a valid model manifest", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Every problem of a layer stack, not only the first (issue #12).</summary>
public sealed class LayerStackProblemsTests
{
    [Fact]
    public void ProblemsAfterABrokenLayerAreStillReported()
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[]
        {
            new Conv2DSpec(0, 3, 3), new MaxPool2DSpec(0, 2), new DenseSpec(0), new DropoutSpec(3), new FlattenSpec(), new DenseSpec(10, Activation.Softmax),
        });
        var problems = spec.Validate();
        Assert.Contains(problems, p => p.LayerIndex == 0 && p.Message.Contains("filters must be at least 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.LayerIndex == 1 && p.Message.Contains("pool size must be at least 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.LayerIndex == 2 && p.Message.Contains("units must be at least 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.LayerIndex == 3 && p.Message.Contains("dropout rate", StringComparison.Ordinal));
        var error = Assert.Throws<MnistCnnException>(() => spec.Summarize());
        Assert.Contains("layer 4:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeIsFollowedPastADenseBeforeFlatten()
    {
        var spec = new ModelSpec(InputShape.Mnist, 10, new LayerSpec[] { new Conv2DSpec(4), new DenseSpec(32), new Conv2DSpec(4), new DenseSpec(7) });
        var problems = spec.Validate();
        Assert.Contains(problems, p => p.LayerIndex == 1 && p.Message.Contains("add a Flatten", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.LayerIndex == 2 && p.Message.Contains("Conv2D needs feature maps", StringComparison.Ordinal));
    }

    [Fact]
    public void OverflowingShapeIsAProblemNotANegativeSize()
    {
        var spec = new ModelSpec(new InputShape(4096, 4096, 1), 10, new LayerSpec[] { new Conv2DSpec(1_000_000, 1, 1), new FlattenSpec(), new DenseSpec(10) });
        Assert.Contains(spec.Validate(), p => p.LayerIndex == 0 && p.Message.Contains("values per example", StringComparison.Ordinal));
    }
}
