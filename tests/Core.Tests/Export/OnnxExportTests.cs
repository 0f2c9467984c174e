using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistCnn.Core.Data;
using MnistCnn.Core.Export;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tests.Data;
using MnistCnn.Core.Tests.Tracking;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;
using TorchSharp;
using Padding = MnistCnn.Core.Models.Padding;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Export;

/// <summary>
/// Exported ONNX files run in ONNX Runtime and give what the TorchSharp model gives: every layer kind, padding,
/// stride and activation on random inputs, and a model trained on real MNIST over the 10,000 test images.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly string folder = Path.Combine(Path.GetTempPath(), "mnistcnn-onnx-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    public static TheoryData<string> Architectures() => new(Stacks.Keys);

    /// <summary>Layer stacks that between them use every layer kind, padding, stride, activation and the max-pool reordering.</summary>
    private static readonly Dictionary<string, (InputShape Input, LayerSpec[] Layers)> Stacks = new()
    {
        ["tutorial"] = (InputShape.Mnist, ModelPresets.Create(ModelPresets.KerasSeed).Layers.ToArray()),
        ["same-padding-strides-batchnorm"] = (InputShape.Mnist,
        [
            new Conv2DSpec(6, 3, 3, Padding: Padding.Same),
            new BatchNormSpec(),
            new MaxPool2DSpec(3, 3, 2, 2, Padding.Same),
            new Conv2DSpec(8, 4, 2, 2, 3, Padding.Same, Activation.Elu),
            new AvgPool2DSpec(3, 3, 2, 2, Padding.Same),
            new FlattenSpec(),
            new DropoutSpec(0.3),
            new DenseSpec(16, Activation.Gelu),
            new BatchNormSpec(0.9, 0.01),
            new DenseSpec(10, Activation.Softmax),
        ]),
        ["every-deferred-activation"] = (new InputShape(20, 17, 2),
        [
            new Conv2DSpec(4, 3, 3, Activation: Activation.LeakyRelu),
            new MaxPool2DSpec(2, 2),
            new Conv2DSpec(4, 2, 2, Padding: Padding.Same, Activation: Activation.Selu),
            new MaxPool2DSpec(2, 3, 1, 1),
            new Conv2DSpec(5, 1, 1, Activation: Activation.Tanh),
            new MaxPool2DSpec(2, 2, Padding: Padding.Same),
            new Conv2DSpec(5, 1, 1, Activation: Activation.Sigmoid),
            new MaxPool2DSpec(1, 1),
            new Conv2DSpec(3, 1, 1, Padding: Padding.Same, Activation: Activation.Elu),
            new MaxPool2DSpec(1, 1),
            new FlattenSpec(),
            new DenseSpec(7, Activation.None),
        ]),
        ["non-monotone-before-pool-and-mid-softmax"] = (new InputShape(15, 15, 1),
        [
            new Conv2DSpec(3, 5, 5, 2, 2, Padding.Same, Activation.Gelu),
            new MaxPool2DSpec(2, 2, 1, 1),
            new Conv2DSpec(4, 3, 3, Activation: Activation.Softmax),
            new AvgPool2DSpec(2, 2, 1, 1),
            new Conv2DSpec(4, 2, 2, 2, 1, Activation: Activation.None),
            new BatchNormSpec(),
            new FlattenSpec(),
            new DenseSpec(6, Activation.Softmax),
            new DenseSpec(5, Activation.Relu),
        ]),
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OnnxRuntimeComputesWhatTheModelComputes(string architecture)
    {
        var (input, layers) = Stacks[architecture];
        int classes = layers[^1] is DenseSpec d ? d.Units : 10;
        var spec = new ModelSpec(input, classes, layers, architecture);
        using var model = Untrained(spec, seed: 7);
        Randomise(model);

        int n = 16;
        var random = new Random(3);
        var pixels = new float[n * input.Channels * input.Height * input.Width];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)random.NextDouble();

        float[] expectedLogits, expectedProbabilities;
        using (var noGrad = no_grad())
        using (var x = tensor(pixels, new long[] { n, input.Channels, input.Height, input.Width }))
        using (var logits = model.Network.forward(x))
        using (var p = nn.functional.softmax(logits, 1))
        {
            expectedLogits = logits.data<float>().ToArray();
            expectedProbabilities = p.data<float>().ToArray();
        }

        var (actualLogits, actualProbabilities) = RunOnnx(model, pixels, n);
        AssertClose(expectedLogits, actualLogits, architecture + " logits", relative: true);
        AssertClose(expectedProbabilities, actualProbabilities, architecture + " probabilities", relative: false);
    }

    [Fact]
    public void TheGraphSaysWhatItExpectsAndCarriesTheClassNames()
    {
        using var model = Untrained(ModelPresets.Create(ModelPresets.KerasSeed), seed: 1);
        var export = OnnxExporter.Write(model, Path.Combine(folder, "sub", "m.onnx"));
        Assert.True(File.Exists(export.Path));
        Assert.Equal(new FileInfo(export.Path).Length, export.Bytes);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(export.Path)!, "*.tmp-*"));
        using var session = new InferenceSession(export.Path);
        Assert.Equal(new[] { "input" }, session.InputMetadata.Keys);
        Assert.Equal(new[] { -1, 1, 28, 28 }, session.InputMetadata["input"].Dimensions);
        Assert.Equal(new[] { "logits", "probabilities" }, session.OutputMetadata.Keys);
        Assert.Equal("0,1,2,3,4,5,6,7,8,9", session.ModelMetadata.CustomMetadataMap["class_names"]);
        Assert.Equal(OnnxExporter.OpsetVersion, export.OpsetVersion);
    }

    [SkippableFact]
    public void ATrainedModelPredictsTheTenThousandTestImagesAlikeInOnnxRuntime()
    {
        var data = DataTestFiles.RealMnistFolder();
        Skip.If(data is null, DataTestFiles.NoRealData);
        var mnist = new MnistLoader().Load(DatasetKind.Mnist, data);
        // A short training on part of the training set: enough for confident, non-trivial weights.
        var small = new MnistDataset(mnist.Kind, mnist.Train.Select(Enumerable.Range(0, 6000).ToArray()), mnist.Test, mnist.Source);
        var result = new Trainer().Train(ModelPresets.Create(ModelPresets.KerasSeed), small,
            new TrainingOptions { Epochs = 1, Seed = 1, Device = DeviceKind.Cpu });
        using var model = result.TrainedModel!;
        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy:P2}");

        var test = mnist.Test;
        var expected = Predictor.Probabilities(model, test.Pixels, test.Count, test.Height, test.Width);
        var scaled = test.Pixels.Select(b => (float)(b * model.Preprocessing.Scale)).ToArray();
        var (_, actual) = RunOnnx(model, scaled, test.Count);

        int differentPredictions = 0;
        float worst = 0;
        for (int i = 0; i < test.Count; i++)
        {
            int torchClass = 0, onnxClass = 0;
            for (int c = 0; c < 10; c++)
            {
                worst = Math.Max(worst, Math.Abs(expected[i, c] - actual[(i * 10) + c]));
                if (expected[i, c] > expected[i, torchClass]) torchClass = c;
                if (actual[(i * 10) + c] > actual[(i * 10) + onnxClass]) onnxClass = c;
            }
            if (torchClass != onnxClass) differentPredictions++;
        }
        Assert.Equal(0, differentPredictions);
        Assert.True(worst <= Tolerance, $"largest probability difference {worst:E2}");
    }

    [Fact]
    public void ATrainingRunSavesTheOnnxFileAndUploadsItToMlflow()
    {
        using var server = new FakeMlflowServer();
        var spec = new ModelSpec(InputShape.Mnist, 10, [new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DenseSpec(10, Activation.Softmax)], "small");
        var output = Path.Combine(folder, "run");
        var data = SyntheticData.Create(train: 256, test: 64);
        var reporter = new Tracking.RecordingReporter();
        TrainingResult result;
        using (var tracker = new RunTracker(TrackingTestKit.Settings(server.Uri), reporter))
        {
            result = new Trainer().Train(spec, data, new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 2, Device = DeviceKind.Cpu, OutputPath = output, Report = false }, [tracker]);
        }
        using var model = result.TrainedModel!;
        Assert.Empty(reporter.Warnings);
        var onnxFile = Path.Combine(output, "model", ModelStore.OnnxFile);
        var uploaded = Assert.Single(server.Runs).Artifacts["model/model.onnx"];
        Assert.Equal(File.ReadAllBytes(onnxFile), uploaded);

        // The uploaded file is this run's model: ONNX Runtime gives its probabilities for the test images.
        var expected = Predictor.Probabilities(model, data.Test.Pixels, data.Test.Count, 28, 28);
        using var session = new InferenceSession(uploaded);
        var x = new DenseTensor<float>(data.Test.Pixels.Select(b => b / 255f).ToArray(), new[] { data.Test.Count, 1, 28, 28 });
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor("input", x)]);
        var actual = outputs.Single(o => o.Name == "probabilities").AsEnumerable<float>().ToArray();
        for (int i = 0; i < data.Test.Count; i++)
        {
            for (int c = 0; c < 10; c++) Assert.True(Math.Abs(expected[i, c] - actual[(i * 10) + c]) <= Tolerance);
        }
    }

    private (float[] Logits, float[] Probabilities) RunOnnx(TrainedModel model, float[] pixels, int n)
    {
        var path = Path.Combine(folder, model.Name + ".onnx");
        OnnxExporter.Write(model, path);
        var input = model.Spec.Input;
        using var session = new InferenceSession(path);
        var x = new DenseTensor<float>(pixels, new[] { n, input.Channels, input.Height, input.Width });
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, x)]);
        var logits = outputs.Single(o => o.Name == OnnxExporter.LogitsName).AsEnumerable<float>().ToArray();
        var probabilities = outputs.Single(o => o.Name == OnnxExporter.ProbabilitiesName).AsEnumerable<float>().ToArray();
        Assert.Equal(n * model.Spec.Classes, probabilities.Length);
        return (logits, probabilities);
    }

    private static TrainedModel Untrained(ModelSpec spec, int seed)
    {
        random.manual_seed(seed);
        var network = new CnnModel(spec);
        network.eval();
        return new TrainedModel(network, spec, new Preprocessing(spec.Input.Height, spec.Input.Width, spec.Input.Channels),
            Enumerable.Range(0, spec.Classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(), "synthetic", CPU);
    }

    /// <summary>Non-default biases and batch-norm statistics, so every parameter the export maps matters.</summary>
    private static void Randomise(TrainedModel model)
    {
        using var noGrad = no_grad();
        using var half = 0.5.ToScalar();
        using var spread = 0.3.ToScalar();
        using var one = 1.ToScalar();
        foreach (var (name, t) in model.Network.state_dict())
        {
            if (t.dtype != ScalarType.Float32) continue;
            if (name.EndsWith("running_var", StringComparison.Ordinal)) t.copy_(rand_like(t).add_(half, one));
            else if (name.EndsWith("weight", StringComparison.Ordinal) && t.dim() == 1) t.copy_(rand_like(t).add_(half, one));
            else if (name.EndsWith("bias", StringComparison.Ordinal) || name.EndsWith("running_mean", StringComparison.Ordinal)) t.copy_(randn_like(t).mul_(spread));
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string what, bool relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float allowed = relative ? Tolerance * Math.Max(1f, Math.Abs(expected[i])) : Tolerance;
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, $"{what}[{i}]: TorchSharp {expected[i]}, ONNX Runtime {actual[i]}");
        }
    }
}
