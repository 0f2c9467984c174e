using MnistCnn.Core.Runs;
using System.Diagnostics;
using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Bench;

/// <summary>
/// The module's own Trainer (what Start-CnnTraining runs) without PowerShell: same data loader, same options,
/// no files written. Separates the cost of the Trainer from the cost of the cmdlet layer.
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
        };
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
