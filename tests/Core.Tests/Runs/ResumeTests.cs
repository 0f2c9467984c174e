using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp;

namespace MnistCnn.Core.Tests.Runs;

/// <summary>
/// Bit-identical comparisons need the same libtorch thread count throughout, and other tests change it
/// (set_num_threads is process-wide): this collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SameThreadsCollection
{
    public const string Name = "Same libtorch threads";
}

/// <summary>A resume restores the whole run from its checkpoint and ends bit-identical to an uninterrupted run (CPU, same threads).</summary>
[Collection(SameThreadsCollection.Name)]
public sealed class ResumeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mnistcnn-resume-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    internal static ModelSpec Small() => TestModels.Small();

    public static TheoryData<string> Recipes() => new() { "RmsProp", "Adam", "AdamW", "Sgd", "SgdMomentumCosineValidation", "AdamStepEarlyStopping" };

    private static TrainingOptions Recipe(string name, int epochs) => (name switch
    {
        "RmsProp" => new TrainingOptions { Optimizer = OptimizerKind.RmsProp, BatchSize = 48, LearningRate = 0.002, Momentum = 0.5 },
        "Adam" => new TrainingOptions { Optimizer = OptimizerKind.Adam, BatchSize = 40, WeightDecay = 1e-4 },
        "AdamW" => new TrainingOptions { Optimizer = OptimizerKind.AdamW, BatchSize = 24, WeightDecay = 0.004, LabelSmoothing = 0.1 },
        "Sgd" => new TrainingOptions { Optimizer = OptimizerKind.Sgd, BatchSize = 16 },
        "SgdMomentumCosineValidation" => new TrainingOptions
        {
            Optimizer = OptimizerKind.Sgd, Momentum = 0.9, Nesterov = true, BatchSize = 32, LearningRate = 0.05,
            Schedule = LearningRateScheduleKind.Cosine, ValidationSplit = 0.25,
        },
        "AdamStepEarlyStopping" => new TrainingOptions
        {
            Optimizer = OptimizerKind.Adam, BatchSize = 32, Schedule = LearningRateScheduleKind.Step, ScheduleGamma = 0.5,
            ValidationSplit = 0.2, EarlyStoppingPatience = 3,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    }) with { Epochs = epochs, Seed = 11, Device = DeviceKind.Cpu, Threads = 1, Report = false };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void ResumingWithoutRepeatingSettingsEndsBitIdenticalToAnUninterruptedRun(string recipe)
    {
        var data = SyntheticData.Create(train: 320, test: 64);
        using var full = Own(new Trainer().Train(Small(), data, Recipe(recipe, 3) with { OutputPath = Path.Combine(root, "full") }));

        // The same run, stopped after its first epoch (as Ctrl+C or SIGTERM would), then resumed stating nothing:
        // epochs, optimizer, learning rate, schedule, batch size, split, early stopping and seed come from the checkpoint.
        var part = Path.Combine(root, "part");
        using var cts = new CancellationTokenSource();
        using var first = Own(new Trainer().Train(Small(), data, Recipe(recipe, 3) with { OutputPath = part }, [new CancelAfterEpoch(cts, 1)], cts.Token));
        Assert.Equal(RunStatus.Killed, first.Result.Status);
        var bare = new TrainingOptions { OutputPath = part, Device = DeviceKind.Cpu, Threads = 1, Report = false };
        using var resumed = Own(new Trainer().Train(Small(), data, bare, resumeFrom: part, givenOnResume: new HashSet<string>()));

        Assert.Equal(RunStatus.Finished, resumed.Result.Status);
        Assert.Equal(first.Result.RunId, resumed.Result.RunId);
        Assert.Equal(first.Result.RunName, resumed.Result.RunName);
        Assert.Equal(Recipe(recipe, 3) with { OutputPath = part }, resumed.Result.Options);
        Assert.Equal(full.Result.Epochs.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss, e.LearningRate)),
            resumed.Result.Epochs.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss, e.LearningRate)));
        Assert.Equal(full.Result.TestLoss, resumed.Result.TestLoss);
        var a = full.Result.TrainedModel!.Network.state_dict();
        var b = resumed.Result.TrainedModel!.Network.state_dict();
        Assert.All(a, kv => Assert.True(kv.Value.eq(b[kv.Key]).all().item<bool>(), $"{recipe}: weights {kv.Key} differ"));
    }

    [Fact]
    public void EpochsMayGrowOnResumeAndTheRecordSaysSo()
    {
        var data = SyntheticData.Create(train: 128, test: 32);
        var folder = Path.Combine(root, "grow");
        using var first = Own(new Trainer().Train(Small(), data, Recipe("Adam", 2) with { OutputPath = folder }));
        using var more = Own(new Trainer().Train(Small(), data, new TrainingOptions { Epochs = 4, OutputPath = folder }, resumeFrom: folder,
            givenOnResume: new HashSet<string> { nameof(TrainingOptions.Epochs) }));
        Assert.Equal(new[] { 1, 2, 3, 4 }, more.Result.Epochs.Select(e => e.Epoch));
        Assert.Equal(4, (int)RunResultFile.Read(folder)!["settings"]!["epochs"]!);
        Assert.Equal(40, (int)RunResultFile.Read(folder)!["settings"]!["batchSize"]!);

        // Fewer epochs than the run already finished cannot be.
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(Small(), data, new TrainingOptions { Epochs = 3, OutputPath = folder }, resumeFrom: folder,
            givenOnResume: new HashSet<string> { nameof(TrainingOptions.Epochs) }));
        Assert.Equal(RunsErrorIds.ResumeSettingsConflict, ex.ErrorId);
        Assert.Contains("Epochs: the run already finished 4 epochs, so it cannot stop after 3", ex.Message);
    }

    [Fact]
    public void EverySettingThatDiffersOnResumeIsListedAndNothingIsWritten()
    {
        var data = SyntheticData.Create(train: 128, test: 32);
        var folder = Path.Combine(root, "conflict");
        using var first = Own(new Trainer().Train(Small(), data, Recipe("Adam", 1) with { OutputPath = folder }));
        var before = Snapshot(folder);

        var changed = Recipe("Adam", 2) with { OutputPath = folder, BatchSize = 64, Optimizer = OptimizerKind.Sgd, Seed = 12 };
        var given = new HashSet<string> { "Epochs", "BatchSize", "Optimizer", "Seed" };
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(Small(), data, changed, resumeFrom: folder, givenOnResume: given));
        Assert.Equal(RunsErrorIds.ResumeSettingsConflict, ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("BatchSize: the run used 40, now 64", ex.Message);
        Assert.Contains("Optimizer: the run used \"adam\", now \"sgd\"", ex.Message);
        Assert.Contains("Seed: the run used 11, now 12", ex.Message);
        Assert.Contains("(3)", ex.Message);

        // A different data subset and a different model are differences too (a Core caller states everything).
        var subset = data.Subset(96, 32);
        var ex2 = Assert.Throws<MnistCnnException>(() => new Trainer().Train(TrainerSpecs.Other(), subset, Recipe("Adam", 2) with { OutputPath = folder }, resumeFrom: folder));
        Assert.Contains("the data subset: the run had 128 training and 32 test images, now 96 and 32", ex2.Message);
        Assert.Contains("the model: the run trained 'small'", ex2.Message);

        Assert.Equal(before, Snapshot(folder));
    }

    /// <summary>Every file of a folder with its bytes, to show a failed resume changed nothing (and left no temp files).</summary>
    internal static SortedDictionary<string, string> Snapshot(string folder) => new(
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !RunFiles.IsFolderFile(Path.GetFileName(f)))
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);

    internal static Owned Own(TrainingResult result) => new(result);

    internal sealed class Owned(TrainingResult result) : IDisposable
    {
        public TrainingResult Result { get; } = result;

        public void Dispose() => Result.TrainedModel?.Dispose();
    }
}

/// <summary>Cancels the run's token when an epoch ends (a stop arriving during the next epoch).</summary>
internal sealed class CancelAfterEpoch(CancellationTokenSource cts, int epoch) : ITrainingObserver
{
    public void RunStarted(RunStartInfo run) { }

    public void EpochCompleted(RunStartInfo run, EpochResult e)
    {
        if (e.Epoch == epoch) cts.Cancel();
    }

    public void RunEnded(RunStartInfo run, TrainingResult result) { }
}

internal static class TrainerSpecs
{
    public static ModelSpec Other() => new(InputShape.Mnist, 10, new LayerSpec[]
    {
        new Conv2DSpec(6, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DenseSpec(10, Activation.Softmax),
    }, "other");
}
