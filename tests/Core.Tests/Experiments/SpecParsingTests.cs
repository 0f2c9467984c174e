using MnistCnn.Core.Data;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

public sealed class SpecParsingTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public void EmptySpecIsTheTutorialWithDefaults()
    {
        var path = files.Write("tutorial.yaml", "# nothing but a comment");
        var plan = ExperimentPlan.Load(path);
        var trial = Assert.Single(plan.Trials);
        Assert.False(plan.IsSweep);
        Assert.Equal("tutorial", trial.Spec.Name);
        Assert.Equal("run", trial.Id);
        Assert.Equal(ModelPresets.Create(ModelPresets.KerasSeed).Layers, trial.Spec.Model.Layers);
        Assert.Equal(93_322, trial.Spec.Model.ParameterCount);
        Assert.Equal(new TrainingOptions(), trial.Spec.Training);
        Assert.Equal(DatasetKind.Mnist, trial.Spec.Data.Dataset);
        Assert.Equal(Path.Combine(files.Root, "runs"), trial.Spec.Outputs.Root);
        Assert.Equal(Path.Combine(files.Root, "runs", "tutorial", "run"), trial.OutputPath);
    }

    [Fact]
    public void EverySectionMapsToCoreOptions()
    {
        var path = files.Write("full.yaml",
            "name: full-run",
            "description: every key",
            "data:",
            "  dataset: fashion-mnist",
            "  path: data/fashion",
            "  validationSplit: 0.1",
            "  trainSubset: 2000",
            "  testSubset: 500",
            "model:",
            "  name: small",
            "  layers:",
            "    - { type: conv2d, filters: 8, kernelSize: [5, 3], strides: 1, padding: same, activation: gelu }",
            "    - { type: batchnorm, momentum: 0.9, epsilon: 0.01 }",
            "    - { type: maxpool2d, poolSize: 2, strides: [2, 1] }",
            "    - { type: average_pooling2d, poolSize: [2, 2], padding: same }",
            "    - { type: dropout, rate: 0.25 }",
            "    - { type: flatten }",
            "    - { type: dense, units: 10, activation: softmax }",
            "training:",
            "  epochs: 7",
            "  batchSize: 32",
            "  optimizer: sgd",
            "  learningRate: 0.05",
            "  momentum: 0.9",
            "  nesterov: true",
            "  weightDecay: 0.0001",
            "  labelSmoothing: 0.1",
            "  schedule:",
            "    type: one-cycle",
            "    maxLearningRateFactor: 4",
            "    warmupFraction: 0.3",
            "    minLearningRate: 0.0001",
            "  earlyStopping:",
            "    patience: 2",
            "    restoreBestWeights: false",
            "  seed: 11",
            "  shuffle: false",
            "  device: cpu",
            "  threads: 2",
            "  checkpoint: false",
            "tracking:",
            "  experiment: exp",
            "  tags: { owner: me, round: 3 }",
            "  trackingUri: http://127.0.0.1:5000",
            "outputs:",
            "  root: out",
            "  pictures: false");
        var spec = ExperimentPlan.Load(path).Trials[0].Spec;
        Assert.Equal("full-run", spec.Name);
        Assert.Equal("every key", spec.Description);
        Assert.Equal(new DataSettings(DatasetKind.FashionMnist, Path.Combine(files.Root, "data", "fashion"), 2000, 500), spec.Data);
        Assert.Equal("small", spec.Model.Name);
        Assert.Equal(new LayerSpec[]
        {
            new Conv2DSpec(8, 5, 3, 1, 1, Padding.Same, Activation.Gelu),
            new BatchNormSpec(0.9, 0.01),
            new MaxPool2DSpec(2, 2, 2, 1),
            new AvgPool2DSpec(2, 2, null, null, Padding.Same),
            new DropoutSpec(0.25),
            new FlattenSpec(),
            new DenseSpec(10, Activation.Softmax),
        }, spec.Model.Layers);
        var t = spec.Training;
        Assert.Equal(new TrainingOptions
        {
            Epochs = 7, BatchSize = 32, Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Momentum = 0.9, Nesterov = true,
            WeightDecay = 0.0001, LabelSmoothing = 0.1, Schedule = LearningRateScheduleKind.OneCycle, MaxLearningRateFactor = 4,
            WarmupFraction = 0.3, MinLearningRate = 0.0001, EarlyStoppingPatience = 2, RestoreBestWeights = false, Seed = 11,
            Shuffle = false, Device = DeviceKind.Cpu, Threads = 2, Checkpoint = false, ValidationSplit = 0.1, Report = false,
        }, t);
        Assert.Equal("exp", spec.Tracking.Experiment);
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "me", ["round"] = "3" }, spec.Tracking.Tags);
        Assert.Equal("http://127.0.0.1:5000", spec.Tracking.TrackingUri);
        Assert.Equal(new OutputSettings(Path.Combine(files.Root, "out"), false), spec.Outputs);
    }

    [Fact]
    public void ExtendsDeepMergesMappingsAndReplacesLists()
    {
        files.Write("base/base.yaml",
            "data:",
            "  path: mnist-files",
            "model:",
            "  layers:",
            "    - { type: flatten }",
            "    - { type: dense, units: 32 }",
            "    - { type: dense, units: 10, activation: softmax }",
            "training:",
            "  epochs: 3",
            "  optimizer: adam",
            "  schedule: { type: step, gamma: 0.5 }");
        var child = files.Write("child.yaml",
            "extends: base/base.yaml",
            "model:",
            "  layers:",
            "    - { type: flatten }",
            "    - { type: dense, units: 10, activation: softmax }",
            "training:",
            "  epochs: 4",
            "  schedule: { stepEpochs: 2 }");
        var plan = ExperimentPlan.Load(child);
        var spec = plan.Trials[0].Spec;
        Assert.Equal(new[] { Path.GetFullPath(child), Path.Combine(files.Root, "base", "base.yaml") }, plan.Files);
        Assert.Equal("child", spec.Name);
        // Paths resolve against the file that wrote them.
        Assert.Equal(Path.Combine(files.Root, "base", "mnist-files"), spec.Data.Path);
        Assert.Equal(2, spec.Model.Layers.Count);
        Assert.Equal(4, spec.Training.Epochs);
        Assert.Equal(OptimizerKind.Adam, spec.Training.Optimizer);
        Assert.Equal(LearningRateScheduleKind.Step, spec.Training.Schedule);
        Assert.Equal(0.5, spec.Training.ScheduleGamma);
        Assert.Equal(2, spec.Training.ScheduleStepEpochs);
    }

    [Fact]
    public void NullResetsAnInheritedValueToItsDefault()
    {
        files.Write("base.yaml", "training:", "  learningRate: 0.01", "  seed: 5");
        var child = files.Write("child.yaml", "extends: base.yaml", "training:", "  learningRate: null");
        var spec = ExperimentPlan.Load(child).Trials[0].Spec;
        Assert.Null(spec.Training.LearningRate);
        Assert.Equal(5, spec.Training.Seed);
    }

    [Fact]
    public void ExtendsCycleIsReportedAtTheExtendsThatClosesIt()
    {
        files.Write("a.yaml", "extends: b.yaml", "training: { epochs: 1 }");
        files.Write("b.yaml", "training: { epochs: 2 }", "extends: a.yaml");
        var d = SpecFiles.Single(SpecFiles.Problems(Path.Combine(files.Root, "a.yaml")), SpecCodes.ExtendsInvalid);
        Assert.Equal(Path.Combine(files.Root, "b.yaml"), d.File);
        Assert.Equal((2, 10), (d.Line, d.Column));
        Assert.Contains("a.yaml -> b.yaml -> a.yaml", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingExtendsFileIsReportedWhereItIsNamed()
    {
        var path = files.Write("a.yaml", "name: x", "extends: nowhere.yaml");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.ExtendsInvalid);
        Assert.Equal((path, 2, 10), (d.File, d.Line, d.Column));
        Assert.Contains("does not exist", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvedYamlRoundTripsToTheSameSpec()
    {
        files.Write("base.yaml", "training: { epochs: 2, optimizer: adam }", "description: \"has: a colon # and hash\"");
        var path = files.Write("child.yaml", "extends: base.yaml", "data: { path: ./d }", "training: { seed: 3 }");
        var trial = ExperimentPlan.Load(path).Trials[0];
        var copy = files.Write("copy/spec.yaml", trial.ResolvedYaml);
        var again = ExperimentPlan.Load(copy).Trials[0];
        Assert.Equal(trial.Spec.Training, again.Spec.Training);
        Assert.Equal(trial.Spec.Data, again.Spec.Data);
        Assert.Equal(trial.Spec.Name, again.Spec.Name);
        Assert.Equal("has: a colon # and hash", again.Spec.Description);
        Assert.Equal(trial.Spec.Outputs, again.Spec.Outputs);
        Assert.Equal(trial.ResolvedYaml, again.ResolvedYaml);
        Assert.Equal(trial.SpecHash, again.SpecHash);
    }
}
