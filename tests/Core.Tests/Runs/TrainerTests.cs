using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp;

namespace MnistCnn.Core.Tests.Runs;

[Collection(TorchRandomCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mnistcnn-trainer-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    private static ModelSpec Small() => new(InputShape.Mnist, 10, new LayerSpec[]
    {
        new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DenseSpec(16), new DenseSpec(10, Activation.Softmax),
    }, "small");

    private static TrainingOptions Options(int epochs = 2, int seed = 7) => new()
    {
        Epochs = epochs, BatchSize = 32, Seed = seed, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Adam,
    };

    [Fact]
    public void LearnsTheSyntheticTaskAndReportsEveryEpoch()
    {
        var result = new Trainer().Train(Small(), SyntheticData.Create(), Options(3));
        Assert.Equal(RunStatus.Finished, result.Status);
        Assert.Equal(new[] { 1, 2, 3 }, result.Epochs.Select(e => e.Epoch));
        Assert.True(result.Epochs[^1].Loss < result.Epochs[0].Loss, "training loss should fall");
        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy}");
        Assert.All(result.Epochs, e => Assert.True(e.ImagesPerSecond > 0 && e.Seconds > 0));
        result.TrainedModel!.Dispose();
    }

    [Fact]
    public void RunFolderGetsModelResultPicturesAndReport()
    {
        var output = Path.Combine(root, "report");
        var data = SyntheticData.Create();
        var report = new MnistCnn.Core.Reporting.RunReportObserver(data.Test, data.ClassNames);
        var result = new Trainer().Train(Small(), data, Options(1) with { OutputPath = output }, [report]);
        foreach (var file in new[] { "result.json", "curves.png", "confusion.png", "misclassified.png", "report.html", "model/model.json", "checkpoint/state.json" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), $"{file} missing");
        }
        Assert.Equal("FINISHED", (string?)RunResultFile.Read(output)!["status"]);
        result.TrainedModel!.Dispose();
        var quiet = Path.Combine(root, "quiet");
        new Trainer().Train(Small(), data, Options(1) with { OutputPath = quiet, Report = false }, [report]).TrainedModel!.Dispose();
        Assert.False(File.Exists(Path.Combine(quiet, "report.html")));
        Assert.True(File.Exists(Path.Combine(quiet, "result.json")));
    }

    [Fact]
    public void SameSeedGivesSameMetricsOnCpu()
    {
        var data = SyntheticData.Create();
        var a = new Trainer().Train(Small(), data, Options() with { ValidationSplit = 0.2 });
        var b = new Trainer().Train(Small(), data, Options() with { ValidationSplit = 0.2 });
        Assert.Equal(a.Epochs.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss)), b.Epochs.Select(e => (e.Loss, e.Accuracy, e.ValidationLoss)));
        Assert.Equal(a.TestLoss, b.TestLoss);
        var c = new Trainer().Train(Small(), data, Options(seed: 8) with { ValidationSplit = 0.2 });
        Assert.NotEqual(a.Epochs[0].Loss, c.Epochs[0].Loss);
        foreach (var r in new[] { a, b, c }) r.TrainedModel!.Dispose();
    }

    [Fact]
    public void TrainingStepsLeakNoTensors()
    {
        var data = SyntheticData.Create(train: 640);
        long LiveAfter(int trainCount)
        {
            var subset = data.Subset(trainCount, 64);
            var stats = DisposeScopeManager.Statistics;
            stats.Reset();
            var result = new Trainer().Train(Small(), subset, Options(1));
            result.TrainedModel!.Dispose();
            return stats.ThreadTotalLiveCount;
        }
        LiveAfter(64); // warm-up: lazily created globals
        long few = LiveAfter(64);   // 2 batches
        long many = LiveAfter(640); // 20 batches
        Assert.Equal(few, many);
    }

    [Fact]
    public void SavedModelPredictsIdentically()
    {
        var data = SyntheticData.Create();
        var result = new Trainer().Train(Small(), data, Options(1));
        using var trained = result.TrainedModel!;
        var folder = Path.Combine(root, "saved");
        ModelStore.Save(trained, folder);
        using var loaded = ModelStore.Load(folder);
        var before = Predictor.Probabilities(trained, data.Test.Pixels, data.Test.Count, 28, 28);
        var after = Predictor.Probabilities(loaded, data.Test.Pixels, data.Test.Count, 28, 28);
        Assert.Equal(before.Cast<float>(), after.Cast<float>());
        Assert.Equal(trained.Spec.Layers, loaded.Spec.Layers);
        Assert.Equal("Mnist", loaded.Dataset);
    }

    [Fact]
    public void ResumedRunMatchesUninterruptedRun()
    {
        var data = SyntheticData.Create();
        var full = new Trainer().Train(Small(), data, Options(3) with { OutputPath = Path.Combine(root, "full") });
        var part = Path.Combine(root, "part");
        var first = new Trainer().Train(Small(), data, Options(1) with { OutputPath = part });
        var resumed = new Trainer().Train(Small(), data, Options(3) with { OutputPath = part }, resumeFrom: part);
        Assert.Equal(first.RunId, resumed.RunId);
        Assert.Equal(full.Epochs.Select(e => e.Loss), resumed.Epochs.Select(e => e.Loss));
        Assert.Equal(full.TestLoss, resumed.TestLoss);
        foreach (var r in new[] { full, first, resumed }) r.TrainedModel!.Dispose();
    }

    [Fact]
    public void CancellingKeepsTheLastCheckpointAndRecordsKilled()
    {
        using var cts = new CancellationTokenSource();
        var output = Path.Combine(root, "killed");
        var reporter = new RecordingReporter();
        var result = new Trainer(reporter).Train(Small(), SyntheticData.Create(), Options(5) with { OutputPath = output },
            new[] { new CancelAfterEpoch(cts, 2) }, cts.Token);
        Assert.Equal(RunStatus.Killed, result.Status);
        Assert.Contains($"the checkpoint after epoch 2 is kept in {Path.Combine(output, "checkpoint")}. Resume with: Start-CnnTraining -ResumeFrom '{output}'", Assert.Single(reporter.Warnings), StringComparison.Ordinal);
        Assert.Equal(2, result.Epochs.Count);
        Assert.Null(result.TestAccuracy);
        Assert.True(File.Exists(Path.Combine(output, "checkpoint", "weights.bin")));
        Assert.Equal("KILLED", (string?)RunResultFile.Read(output)!["status"]);
        var resumed = new Trainer().Train(Small(), SyntheticData.Create(), Options(3) with { OutputPath = output }, resumeFrom: output);
        Assert.Equal(RunStatus.Finished, resumed.Status);
        Assert.Equal(3, resumed.Epochs.Count);
        result.TrainedModel?.Dispose();
        resumed.TrainedModel!.Dispose();
    }

    /// <summary>A trial of an experiment resumes by running the experiment again; its stop warning says that instead.</summary>
    [Fact]
    public void AStoppedRunsWarningGivesTheResumeAdviceItWasGiven()
    {
        using var cts = new CancellationTokenSource();
        var reporter = new RecordingReporter();
        var output = Path.Combine(root, "killed-trial");
        var trainer = new Trainer(reporter) { ResumeAdvice = MnistCnn.Core.Experiments.Running.TrialTrainer.ResumeAdvice };
        var result = trainer.Train(Small(), SyntheticData.Create(), Options(5) with { OutputPath = output }, new[] { new CancelAfterEpoch(cts, 1) }, cts.Token);
        Assert.Equal(RunStatus.Killed, result.Status);
        var warning = Assert.Single(reporter.Warnings);
        Assert.EndsWith($"kept in {Path.Combine(output, "checkpoint")}. {MnistCnn.Core.Experiments.Running.TrialTrainer.ResumeAdvice}", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("Start-CnnTraining", warning, StringComparison.Ordinal);
        result.TrainedModel?.Dispose();
    }

    [Fact]
    public void AStopRuleEndsTrainingAfterItsEpochAsAFinishedRun()
    {
        var output = Path.Combine(root, "stop-rule");
        var rule = new StopAfter(2);
        var result = new Trainer().Train(Small(), SyntheticData.Create(), Options(5) with { OutputPath = output }, new[] { rule });
        Assert.Equal(RunStatus.Finished, result.Status);
        Assert.Equal(new[] { 1, 2 }, result.Epochs.Select(e => e.Epoch));
        Assert.Equal(new[] { 1, 2 }, rule.Asked);
        Assert.NotNull(result.TestAccuracy);
        Assert.True(Directory.Exists(Path.Combine(output, "model")), "the model of a run stopped by a rule is saved");
        Assert.Equal("FINISHED", (string?)RunResultFile.Read(output)!["status"]);
        result.TrainedModel!.Dispose();
    }

    private sealed class StopAfter(int epochs) : ITrainingObserver, ITrainingStopRule
    {
        public List<int> Asked { get; } = new();
        public void RunStarted(RunStartInfo run) { }
        public void EpochCompleted(RunStartInfo run, EpochResult e) { }
        public void RunEnded(RunStartInfo run, TrainingResult result) { }

        public string? ShouldStop(RunStartInfo run, EpochResult epoch)
        {
            Asked.Add(epoch.Epoch);
            return epoch.Epoch >= epochs ? $"{epochs} epochs are enough" : null;
        }
    }

    [Fact]
    public void EarlyStoppingStopsAndNeedsValidation()
    {
        var options = Options(30) with { ValidationSplit = 0.25, EarlyStoppingPatience = 1, LearningRate = 0.05 };
        var result = new Trainer().Train(Small(), SyntheticData.Create(), options);
        Assert.True(result.Epochs.Count < 30, "early stopping should end before 30 epochs");
        result.TrainedModel!.Dispose();
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(Small(), SyntheticData.Create(), Options() with { EarlyStoppingPatience = 2 }));
        Assert.Equal("TrainingOptionsInvalid", ex.ErrorId);
    }

    [Fact]
    public void ModelThatDoesNotFitTheDataIsRejected()
    {
        var spec = Small() with { Input = new InputShape(32, 32, 1) };
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(spec, SyntheticData.Create(), Options()));
        Assert.Equal("ModelDataMismatch", ex.ErrorId);
    }

    [SkippableFact]
    public void TrainsOnCudaAndTheModelLoadsOnCpu()
    {
        Skip.IfNot(torch.cuda.is_available(), "No CUDA build or GPU here: the CUDA path is checked on GPU machines only.");
        var data = SyntheticData.Create();
        var result = new Trainer().Train(Small(), data, Options(2) with { Device = DeviceKind.Cuda, OutputPath = Path.Combine(root, "cuda") });
        Assert.Equal("cuda", result.Device);
        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy}");
        using var onCpu = ModelStore.Load(result.ModelPath!, torch.CPU);
        var gpu = Predictor.Probabilities(result.TrainedModel!, data.Test.Pixels, data.Test.Count, 28, 28);
        var cpu = Predictor.Probabilities(onCpu, data.Test.Pixels, data.Test.Count, 28, 28);
        for (int i = 0; i < data.Test.Count; i++)
        {
            for (int c = 0; c < 10; c++) Assert.Equal(gpu[i, c], cpu[i, c], 3);
        }
        result.TrainedModel!.Dispose();
    }

    [Fact]
    public void DivergingRunFailsWithItsRecordKept()
    {
        var output = Path.Combine(root, "diverged");
        var ended = new RecordingObserver();
        var options = Options(2) with { Optimizer = OptimizerKind.Sgd, LearningRate = 1e12, OutputPath = output };
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(Small(), SyntheticData.Create(), options, new[] { ended }));
        Assert.Equal("TrainingDiverged", ex.ErrorId);
        Assert.Equal(RunStatus.Failed, ended.Result!.Status);
        var json = RunResultFile.Read(output)!;
        Assert.Equal("FAILED", (string?)json["status"]);
        Assert.Contains("diverged", (string?)json["error"], StringComparison.Ordinal);
    }

    private sealed class RecordingObserver : ITrainingObserver
    {
        public TrainingResult? Result { get; private set; }
        public void RunStarted(RunStartInfo run) { }
        public void EpochCompleted(RunStartInfo run, EpochResult e) { }
        public void RunEnded(RunStartInfo run, TrainingResult result) => Result = result;
    }

    private sealed class CancelAfterEpoch(CancellationTokenSource cts, int epoch) : ITrainingObserver
    {
        public void RunStarted(RunStartInfo run) { }
        public void EpochCompleted(RunStartInfo run, EpochResult e) { if (e.Epoch == epoch) cts.Cancel(); }
        public void RunEnded(RunStartInfo run, TrainingResult result) { }
    }
}
