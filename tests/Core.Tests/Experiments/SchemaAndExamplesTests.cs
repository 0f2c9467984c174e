using System.Text.Json.Nodes;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

public class SchemaAndExamplesTests
{
    private static readonly string ExperimentsFolder = Path.Combine(SpecFiles.RepoRoot(), "experiments");

    private static JsonObject Schema() =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ExperimentsFolder, "mnistcnn-experiment.schema.json")))!;

    private static JsonObject Deref(JsonObject schema, JsonNode node)
    {
        var obj = (JsonObject)node;
        if (obj["$ref"] is { } r && ((string)r!).StartsWith("#/definitions/", StringComparison.Ordinal))
        {
            return Deref(schema, schema["definitions"]![((string)r!)["#/definitions/".Length..]]!);
        }
        return obj;
    }

    private static IEnumerable<string> Keys(JsonObject schema, JsonObject node, string prefix)
    {
        Assert.True(node["additionalProperties"] is JsonValue v && !v.GetValue<bool>(), $"{prefix} must forbid unknown keys");
        foreach (var (key, value) in (JsonObject)node["properties"]!)
        {
            string path = prefix.Length == 0 ? key : prefix + "." + key;
            yield return path;
            var child = Deref(schema, value!);
            if (path == "model.layers")
            {
                foreach (var alt in child["items"]!["oneOf"]!.AsArray())
                {
                    var layer = Deref(schema, alt!);
                    var type = layer["properties"]!["type"]!;
                    string name = type["const"] is { } c ? (string)c! : (string)type["enum"]![0]!;
                    foreach (var k in ((JsonObject)layer["properties"]!).Select(p => p.Key)) yield return $"model.layers[{name}].{k}";
                }
            }
            else if (path == "sweep.parameters")
            {
                var range = Deref(schema, child["additionalProperties"]!["oneOf"]![1]!);
                foreach (var k in ((JsonObject)range["properties"]!).Select(p => p.Key)) yield return "sweep.parameters.*." + k;
            }
            else if (child["properties"] is not null && path != "tracking.tags")
            {
                foreach (var k in Keys(schema, child, path)) yield return k;
            }
        }
    }

    [Fact]
    public void SchemaAndParserKnowTheSameKeys()
    {
        var schema = Schema();
        var fromSchema = Keys(schema, schema, "").Order(StringComparer.Ordinal).ToList();
        var fromParser = SpecKeys.AllPaths().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(fromParser, fromSchema);
    }

    [Fact]
    public void SchemaEnumsCoverTheParsersNames()
    {
        var schema = Schema();
        var defs = schema["definitions"]!;
        var training = defs["training"]!["properties"]!;
        Assert.Equal(SpecBinder.OptimizerNames.Keys.Order(), training["optimizer"]!["enum"]!.AsArray().Select(n => (string)n!).Order());
        Assert.Equal(SpecBinder.DeviceNames.Keys.Order(), training["device"]!["enum"]!.AsArray().Select(n => (string)n!).Order());
        var schedules = defs["schedule"]!["properties"]!["type"]!["enum"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.All(SpecBinder.ScheduleNames.Keys, k => Assert.Contains(k, schedules));
        var activations = defs["activation"]!["enum"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(ActivationNames.Names.Order(), activations.Order());
        var layerTypes = ((JsonObject)defs).Where(d => d.Key.StartsWith("layer_", StringComparison.Ordinal))
            .SelectMany(d => d.Value!["properties"]!["type"]!["const"] is { } c ? new[] { (string)c! } : d.Value!["properties"]!["type"]!["enum"]!.AsArray().Select(n => (string)n!))
            .Order();
        Assert.Equal(SpecKeys.LayerAliases.Keys.Order(), layerTypes);
    }

    public static TheoryData<string> SpecNames()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(ExperimentsFolder, "*.yaml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(SpecNames))]
    public void EverySpecInTheExperimentsFolderIsValidAndNamesTheSchema(string file)
    {
        string path = Path.Combine(ExperimentsFolder, file);
        var plan = ExperimentPlan.Check(path, out var diagnostics, out _);
        Assert.True(plan is not null, string.Join("\n", diagnostics));
        Assert.StartsWith("# yaml-language-server: $schema=./mnistcnn-experiment.schema.json", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(Path.GetFileNameWithoutExtension(file), plan.Name);
        Assert.False(string.IsNullOrWhiteSpace(plan.Description));
    }

    [Fact]
    public void TheExpectedSpecsShip()
    {
        var names = Directory.GetFiles(ExperimentsFolder, "*.yaml").Select(Path.GetFileName).ToList();
        Assert.Contains("keras-seed.yaml", names);
        Assert.Contains("optimizer-sweep.yaml", names);
        Assert.Contains("fashion-mnist.yaml", names);
        Assert.Contains("mnist-best.yaml", names);
        Assert.Contains("fast.yaml", names);
    }

    [Fact]
    public void FastSpecIsTheOneEpochLiteRecipeAndItsModelBuilds()
    {
        // The recipe docs/performance.md measures (and `run-speed.sh fast` runs): fast-mnist-lite, one epoch of Adam at
        // batch 128, one-cycle from 0.001 up to 0.02 after 30% of the batches, label smoothing 0.1, two threads.
        var trial = Assert.Single(ExperimentPlan.Load(Path.Combine(ExperimentsFolder, "fast.yaml")).Trials);
        var training = trial.Spec.Training;
        Assert.Equal(ModelPresets.Create(FastPresets.FastMnistLite).Layers, trial.Spec.Model.Layers);
        Assert.Equal(FastPresets.FastMnistLite, trial.Spec.Model.Name);
        Assert.Equal((OptimizerKind.Adam, 128, 1), (training.Optimizer, training.BatchSize, training.Epochs));
        Assert.Equal((LearningRateScheduleKind.OneCycle, 0.001, 20.0, 0.3), (training.Schedule, training.EffectiveLearningRate, training.MaxLearningRateFactor, training.WarmupFraction));
        Assert.Equal(0.1, training.LabelSmoothing);
        // The measured accuracies hold for two threads only (the thread count changes libtorch's summation order).
        Assert.Equal(2, training.Threads);
        Assert.Null(trial.Spec.Data.TrainSubset);
        Assert.Empty(training.Validate());
        using var model = new CnnModel(trial.Spec.Model);
        Assert.Equal(54_410, model.parameters().Sum(p => p.numel()));
        using var x = TorchSharp.torch.rand(2, 1, 28, 28);
        using var logits = model.forward(x);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
    }

    [Fact]
    public void KerasSeedSpecIsTheTutorialExactly()
    {
        var trial = Assert.Single(ExperimentPlan.Load(Path.Combine(ExperimentsFolder, "keras-seed.yaml")).Trials);
        Assert.Equal(ModelPresets.Create(ModelPresets.KerasSeed).Layers, trial.Spec.Model.Layers);
        Assert.Equal(new TrainingOptions { LearningRate = 0.001 }, trial.Spec.Training);
        Assert.Equal(OptimizerKind.RmsProp, trial.Spec.Training.Optimizer);
        Assert.Equal((64, 5), (trial.Spec.Training.BatchSize, trial.Spec.Training.Epochs));
        Assert.Null(trial.Spec.Data.TrainSubset);
    }

    [Fact]
    public void OptimizerSweepAndBestSpecsExpandAsDescribed()
    {
        var sweep = ExperimentPlan.Load(Path.Combine(ExperimentsFolder, "optimizer-sweep.yaml"));
        Assert.Equal(12, sweep.Trials.Count);
        Assert.Equal(4, sweep.Trials.Select(t => t.Spec.Training.Optimizer).Distinct().Count());
        // No two trials train the same way (AdamW with no decay would be Adam).
        Assert.Equal(12, sweep.Trials.Select(t => t.Spec.Training)
            .Select(o => (Optimizer: o.Optimizer == OptimizerKind.AdamW && o.WeightDecay == 0 ? OptimizerKind.Adam : o.Optimizer, o.LearningRate, o.Momentum, o.WeightDecay))
            .Distinct().Count());
        Assert.All(sweep.Trials.Where(t => t.Spec.Training.Optimizer == OptimizerKind.AdamW), t => Assert.Equal(0.004, t.Spec.Training.WeightDecay));
        var best = Assert.Single(ExperimentPlan.Load(Path.Combine(ExperimentsFolder, "mnist-best.yaml")).Trials);
        Assert.Contains(best.Spec.Model.Layers, l => l is BatchNormSpec);
        Assert.Contains(best.Spec.Model.Layers, l => l is DropoutSpec);
        Assert.Equal(LearningRateScheduleKind.OneCycle, best.Spec.Training.Schedule);
    }
}
