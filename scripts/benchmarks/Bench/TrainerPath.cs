using MnistCnn.Core.Runs;
using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Bench;

/// <summary>
/// The module's own Trainer (what Start-CnnTraining runs) without PowerShell: same data loader, same options,
/// no files written. Separates the cost of the Trainer from the cost of the cmdlet layer. With --spec FILE it trains
/// that experiment spec's model and training settings (only --seed and --threads override them).
/// </summary>
internal static class TrainerPath
{
    public static Dictionary<string, object?> Run(Options o)
    {
        var dataDir = Idx.DataDirectory(o);
        var load = Stopwatch.StartNew();
        var data = new MnistLoader().Load(DatasetKind.Mnist, dataDir);
        int trainSize = o.Int("train-size", data.Train.Count);
        if (trainSize < data.Train.Count) data = data.Subset(trainSize);
        double loadSeconds = load.Elapsed.TotalSeconds;
        if (o.Text("spec") is { } specPath)
        {
            var experiment = ExperimentPlan.Load(specPath).Trials[0].Spec;
            var fromSpec = experiment.Training with
            {
                Seed = o.Int("seed", experiment.Training.Seed ?? 1),
                Threads = o.Has("threads") ? o.Int("threads", 1) : experiment.Training.Threads,
                OutputPath = null,
                Report = false,
                Checkpoint = false,
            };
            return Measure(o, experiment.Model, data, fromSpec, loadSeconds);
        }
        var spec = Candidates.Create(o.Text("preset", ModelPresets.KerasSeed), data.InputShape, data.Classes);
        var options = new TrainingOptions
        {
            Epochs = o.Int("epochs", 1),
            BatchSize = o.Int("batch-size", 64),
            Seed = o.Int("seed", 1),
            Threads = o.Int("threads", Environment.ProcessorCount),
            Device = o.Text("device", "cpu") == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu,
            Report = false,
            Checkpoint = false,
            Optimizer = Enum.Parse<OptimizerKind>(o.Text("optimizer", "rmsprop"), ignoreCase: true),
            LearningRate = o.Has("lr") ? o.Double("lr", 0.001) : null,
            Schedule = o.Text("schedule", "constant") == "onecycle" ? LearningRateScheduleKind.OneCycle : LearningRateScheduleKind.Constant,
            MaxLearningRateFactor = o.Double("max-lr-factor", 1),
            WarmupFraction = o.Double("warmup-fraction", 0.25),
            LabelSmoothing = o.Double("label-smoothing", 0),
        };
        return Measure(o, spec, data, options, loadSeconds);
    }

    private static Dictionary<string, object?> Measure(Options o, ModelSpec spec, MnistDataset data, TrainingOptions options, double loadSeconds)
    {
        var machine = new MachineLoad();
        double cpuStart = ProcessStats.CpuSeconds();
        var watch = Stopwatch.StartNew();
        var result = new Trainer().Train(spec, data, options);
        double total = watch.Elapsed.TotalSeconds;
        double cpu = ProcessStats.CpuSeconds() - cpuStart;
        result.TrainedModel?.Dispose();
        double trainSeconds = result.Epochs.Sum(e => e.Seconds);
        long images = (long)result.Epochs.Count * data.Train.Count;
        return new Dictionary<string, object?>
        {
            ["impl"] = o.Text("label", "trainer"),
            ["model"] = spec.Name,
            ["device"] = result.Device,
            ["threads"] = TorchSharp.torch.get_num_threads(),
            ["seed"] = options.Seed,
            ["cpuSeconds"] = cpu,
            ["batchSize"] = options.BatchSize,
            ["trainSize"] = data.Train.Count,
            ["images"] = images,
            ["trainSeconds"] = trainSeconds,
            ["imagesPerSec"] = images / trainSeconds,
            ["cpuUtilisation"] = cpu / total,
            ["imagesPerCpuSec"] = images / (cpu * trainSeconds / total), // CPU time shared out by wall time: approximate
            ["otherCores"] = machine.OtherCores(),
            ["epochSeconds"] = result.Epochs.Select(e => e.Seconds).ToList(),
            ["meanLoss"] = result.Epochs[^1].Loss,
            ["loadSeconds"] = loadSeconds,
            ["testAccuracy"] = result.TestAccuracy,
            // Train() returns after evaluating the test split: what is left after the epochs is (mostly) evaluation.
            ["evalSeconds"] = total - trainSeconds,
            ["peakRssMiB"] = ProcessStats.PeakRssMiB(),
            ["startToResultSeconds"] = ProcessStats.SecondsSinceProcessStart(),
        };
    }
}
