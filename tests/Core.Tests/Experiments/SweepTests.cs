using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

public sealed class SweepTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public void GridIsTheCartesianProductLastAxisFastest()
    {
        var path = files.Write("grid.yaml",
            "sweep:",
            "  method: grid",
            "  parameters:",
            "    training.learningRate: [0.01, 0.001]",
            "    training.batchSize: [32, 64, 128]");
        var plan = ExperimentPlan.Load(path);
        Assert.Equal("grid", plan.Method);
        Assert.Equal(6, plan.Trials.Count);
        var pairs = plan.Trials.Select(t => (t.Spec.Training.LearningRate, t.Spec.Training.BatchSize)).ToList();
        Assert.Equal(new (double?, int)[] { (0.01, 32), (0.01, 64), (0.01, 128), (0.001, 32), (0.001, 64), (0.001, 128) }, pairs);
        Assert.Equal(Enumerable.Range(0, 6), plan.Trials.Select(t => t.Index));
        Assert.All(plan.Trials, t => Assert.Equal(6, t.Count));
        Assert.Equal("learningRate-0.01_batchSize-32", plan.Trials[0].Id);
        Assert.Equal("learningRate=0.01 batchSize=32", plan.Trials[0].Name);
        Assert.Equal(0.01, plan.Trials[0].Settings["training.learningRate"]);
        Assert.Equal(32L, plan.Trials[0].Settings["training.batchSize"]);
        Assert.Equal(6, plan.Trials.Select(t => t.Id).Distinct().Count());
        Assert.Equal(6, plan.Trials.Select(t => t.SpecHash).Distinct().Count());
        Assert.Equal(Path.Combine(files.Root, "runs", "grid", "learningRate-0.001_batchSize-128"), plan.Trials[5].OutputPath);
    }

    [Fact]
    public void ZipValuesAdvanceTogetherAndCombineWithTheGrid()
    {
        var path = files.Write("zip.yaml",
            "training: { seed: 1 }",
            "sweep:",
            "  parameters:",
            "    training.epochs: [1, 2]",
            "  zip:",
            "    - training.optimizer: [adam, sgd, rmsprop]",
            "      training.learningRate: [0.001, 0.05, 0.002]");
        var plan = ExperimentPlan.Load(path);
        var got = plan.Trials.Select(t => (t.Spec.Training.Epochs, t.Spec.Training.Optimizer, t.Spec.Training.LearningRate)).ToList();
        Assert.Equal(new (int, OptimizerKind, double?)[]
        {
            (1, OptimizerKind.Adam, 0.001), (1, OptimizerKind.Sgd, 0.05), (1, OptimizerKind.RmsProp, 0.002),
            (2, OptimizerKind.Adam, 0.001), (2, OptimizerKind.Sgd, 0.05), (2, OptimizerKind.RmsProp, 0.002),
        }, got);
        Assert.Equal(new[] { "training.epochs", "training.optimizer", "training.learningRate" }, plan.Trials[0].Settings.Keys);
    }

    private string RandomSpec(int seed) => files.Write($"random{seed}.yaml",
        "name: random",
        "model:",
        "  layers:",
        "    - { type: conv2d, filters: 8 }",
        "    - { type: flatten }",
        "    - { type: dropout, rate: 0.5 }",
        "    - { type: dense, units: 10, activation: softmax }",
        "training: { optimizer: sgd }",
        "sweep:",
        "  method: random",
        "  trials: 20",
        $"  seed: {seed}",
        "  parameters:",
        "    training.learningRate: { min: 0.0001, max: 0.1, scale: log }",
        "    training.momentum: { min: 0.5, max: 0.99 }",
        "    training.batchSize: { min: 16, max: 256, scale: log, type: int }",
        "    model.layers.2.rate: [0.1, 0.3, 0.5]",
        "  zip:",
        "    - training.weightDecay: [0, 0.0001]",
        "      training.nesterov: [false, true]");

    [Fact]
    public void RandomSweepIsDeterministicForASeedAndStaysInItsRanges()
    {
        var a = ExperimentPlan.Load(RandomSpec(7));
        var b = ExperimentPlan.Load(RandomSpec(7));
        var c = ExperimentPlan.Load(RandomSpec(8));
        Assert.Equal(20, a.Trials.Count);
        Assert.Equal(a.Trials.Select(t => t.Id), b.Trials.Select(t => t.Id));
        Assert.Equal(a.Trials.Select(t => t.SpecHash), b.Trials.Select(t => t.SpecHash));
        Assert.NotEqual(a.Trials.Select(t => t.Id), c.Trials.Select(t => t.Id));
        foreach (var t in a.Trials)
        {
            var o = t.Spec.Training;
            Assert.InRange(o.LearningRate!.Value, 0.0001, 0.1);
            Assert.InRange(o.Momentum, 0.5, 0.99);
            Assert.InRange(o.BatchSize, 16, 256);
            Assert.Contains(((MnistCnn.Core.Models.DropoutSpec)t.Spec.Model.Layers[2]).Rate, new[] { 0.1, 0.3, 0.5 });
            Assert.True(o.Nesterov == (o.WeightDecay == 0.0001), "zip pairs weightDecay with nesterov");
        }
        // Log-uniform draws spread over the decades, not bunched at the top.
        var decades = a.Trials.Select(t => (int)Math.Floor(Math.Log10(t.Spec.Training.LearningRate!.Value))).Distinct().Count();
        Assert.True(decades >= 2, $"learning rates cover {decades} decade(s)");
        Assert.True(a.Trials.Select(t => t.Spec.Training.BatchSize).Distinct().Count() > 3);
    }

    [Fact]
    public void SweepProblemsAreReportedWithPositions()
    {
        var path = files.Write("bad.yaml",
            "sweep:",
            "  method: grid",
            "  trials: 3",
            "  parameters:",
            "    training.learningrate: [0.1]",
            "    training.momentum: { min: 0, max: 1 }",
            "    training.epochs: 3",
            "  zip:",
            "    - training.optimizer: [adam, sgd]",
            "      training.beta1: [0.9]");
        var problems = SpecFiles.Problems(path);
        Assert.Contains(problems, p => p.Code == SpecCodes.SweepInvalid && p.Line == 3 && p.Message.Contains("only to method: random", StringComparison.Ordinal));
        var unknown = problems.Single(p => p.Code == SpecCodes.UnknownKey);
        Assert.Equal((5, 5), (unknown.Line, unknown.Column));
        Assert.Contains("did you mean 'training.learningRate'?", unknown.Message, StringComparison.Ordinal);
        Assert.Contains(problems, p => p.Line == 6 && p.Message.Contains("only a random sweep", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 7 && p.Code == SpecCodes.WrongType);
        Assert.Contains(problems, p => p.Line == 10 && p.Message.Contains("equally long", StringComparison.Ordinal));
    }

    [Fact]
    public void ATrialWhoseValueIsInvalidIsNamedInItsDiagnostic()
    {
        var path = files.Write("bad.yaml",
            "sweep:",
            "  parameters:",
            "    training.learningRate: [0.01, -1]",
            "    training.epochs: [1, 2]");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.TrainingInvalid);
        Assert.Equal((3, 35), (d.Line, d.Column));
        Assert.Contains("(in trial 2: training.learningRate=-1 training.epochs=1)", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomSweepNeedsTrialsAndValidRanges()
    {
        var path = files.Write("bad.yaml",
            "sweep:",
            "  method: random",
            "  parameters:",
            "    training.learningRate: { min: 0, max: 0.1, scale: log, step: 2 }");
        var problems = SpecFiles.Problems(path);
        Assert.Contains(problems, p => p.Code == SpecCodes.MissingKey && p.Message.Contains("'trials'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Code == SpecCodes.OutOfRange && p.Message.Contains("min above 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Code == SpecCodes.UnknownKey && p.Message.Contains("'step'", StringComparison.Ordinal));
    }

    [Fact]
    public void DuplicateSettingsInARandomSweepGetDistinctIds()
    {
        var path = files.Write("dup.yaml",
            "sweep: { method: random, trials: 6, seed: 3, parameters: { training.optimizer: [adam, sgd] } }");
        var plan = ExperimentPlan.Load(path);
        Assert.Equal(6, plan.Trials.Select(t => t.Id).Distinct().Count());
    }
}
