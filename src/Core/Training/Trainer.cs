using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// Trains a <see cref="CnnModel"/> on a dataset: data resident as tensors once (on the GPU too), shuffled by index,
/// every batch in a dispose scope, metrics accumulated on the device and read only when reported. Writes a checkpoint
/// after every epoch and <c>result.json</c> as it goes; stops within a batch when cancelled and keeps the last
/// checkpoint; resumes from a checkpoint.
/// </summary>
public sealed class Trainer
{
    public const string CheckpointFolder = "checkpoint";
    public const string ModelFolder = "model";
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private readonly IReporter reporter;

    public Trainer(IReporter? reporter = null) => this.reporter = reporter ?? NullReporter.Instance;

    /// <summary>Resolves Auto/Cpu/Cuda to a torch device, with a clear error when CUDA is asked for but absent.</summary>
    public static Device ResolveDevice(DeviceKind kind)
    {
        switch (kind)
        {
            case DeviceKind.Cpu:
                return CPU;
            case DeviceKind.Cuda:
                if (!cuda.is_available())
                {
                    throw new MnistCnnException("CudaUnavailable", ErrorKind.ResourceUnavailable,
                        "-Device Cuda was requested but CUDA is not available: this build uses the CPU backend or no GPU/driver was found. " +
                        "Build with -p:TorchBackend=cuda on a machine with an NVIDIA driver (see docs/gpu.md), or use -Device Cpu.", "Cuda");
                }
                return CUDA;
            default:
                return cuda.is_available() ? CUDA : CPU;
        }
    }

    public TrainingResult Train(
        ModelSpec spec,
        MnistDataset data,
        TrainingOptions options,
        IEnumerable<ITrainingObserver>? observers = null,
        CancellationToken cancellationToken = default,
        string? runName = null,
        string? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new MnistCnnException("TrainingOptionsInvalid", ErrorKind.InvalidArgument, "Invalid training options: " + string.Join(" ", problems));
        }
        CheckFits(spec, data);

        Checkpoint? checkpoint = resumeFrom is null ? null : Checkpoint.Read(resumeFrom);
        if (checkpoint is not null)
        {
            if (!SpecJson.ToJson(checkpoint.Spec).ToJsonString().Equals(SpecJson.ToJson(spec).ToJsonString(), StringComparison.Ordinal))
            {
                spec = checkpoint.Spec;
                reporter.Warning($"Resuming with the architecture saved in the checkpoint ({spec.Name}).");
                CheckFits(spec, data);
            }
        }

        int seed = options.Seed ?? checkpoint?.Seed ?? Random.Shared.Next();
        options = options with { Seed = seed };
        if (options.Threads is { } threads) set_num_threads(threads);
        var device = ResolveDevice(options.Device);

        var observerList = (observers ?? Enumerable.Empty<ITrainingObserver>()).ToList();
        int valCount = (int)Math.Floor(data.Train.Count * options.ValidationSplit);
        int trainCount = data.Train.Count - valCount;
        if (trainCount < 1)
        {
            throw new MnistCnnException("TrainingDataEmpty", ErrorKind.InvalidArgument,
                $"No training examples left after holding out {valCount} for validation. Lower -ValidationSplit.");
        }
        // Keras takes the validation split from the end of the training data, before shuffling.
        var trainSplit = valCount == 0 ? data.Train : data.Train.Slice(0, trainCount, "train");
        var valSplit = valCount == 0 ? null : data.Train.Slice(trainCount, valCount, "validation");

        var startTime = DateTimeOffset.UtcNow;
        string runId = checkpoint?.RunId ?? Guid.NewGuid().ToString("N");
        var run = new RunStartInfo(
            runId,
            runName ?? checkpoint?.RunName ?? $"{spec.Name}-{startTime:yyyyMMdd-HHmmss}",
            spec, options, data.Name, data.Checksums, trainCount, valCount, data.Test.Count,
            device.type == DeviceType.CUDA ? "cuda" : "cpu", startTime, options.OutputPath, checkpoint?.CompletedEpochs ?? 0);

        var history = new List<EpochResult>(checkpoint?.Epochs ?? Enumerable.Empty<EpochResult>());
        manual_seed(seed);
        var network = new CnnModel(spec, device);
        var trained = new TrainedModel(network, spec, new Preprocessing(spec.Input.Height, spec.Input.Width, spec.Input.Channels), data.ClassNames, data.Name, device) { RunId = runId };
        var status = RunStatus.Running;
        EvaluationResult? test = null;
        string? modelPath = null;
        try
        {
            using var optimizer = CreateOptimizer(network, options);
            var best = new BestWeights();
            if (checkpoint is not null)
            {
                checkpoint.Restore(network, optimizer, best);
                reporter.Verbose($"Resumed run {runId} after epoch {checkpoint.CompletedEpochs} from {checkpoint.Folder}.");
            }

            Notify(observerList, o => o.RunStarted(run));
            if (options.OutputPath is not null) RunResultFile.Write(options.OutputPath, RunResultFile.ToJson(run, null, history, RunStatus.Running));

            using var trainX = trainSplit.ImagesTensor(device);
            using var trainY = trainSplit.LabelsTensor(device);
            using var valX = valSplit?.ImagesTensor(device);
            using var valY = valSplit?.LabelsTensor(device);
            using var generator = new Generator((ulong)seed);

            int batchesPerEpoch = (trainCount + options.BatchSize - 1) / options.BatchSize;
            bool stopEarly = false;
            for (int epoch = history.Count; epoch < options.Epochs && !stopEarly; epoch++)
            {
                // Per-epoch seeds make a resumed run shuffle and drop out exactly as an uninterrupted one.
                generator.manual_seed(unchecked((seed * 1_000_003L) + epoch));
                manual_seed(unchecked((seed * 7919L) + epoch));
                var epochResult = RunEpoch(network, optimizer, options, trainX, trainY, valX, valY, generator, epoch, batchesPerEpoch, cancellationToken);
                if (epochResult is null)
                {
                    status = RunStatus.Killed;
                    reporter.Warning(history.Count > 0 && options.OutputPath is not null
                        ? $"Training stopped during epoch {epoch + 1}; the checkpoint after epoch {history.Count} is kept in {Path.Combine(options.OutputPath, CheckpointFolder)}. Resume with -ResumeFrom."
                        : $"Training stopped during epoch {epoch + 1}.");
                    break;
                }
                history.Add(epochResult);
                Notify(observerList, o => o.EpochCompleted(run, epochResult));
                if (observerList.OfType<ITrainingStopRule>().Select(r => r.ShouldStop(run, epochResult)).FirstOrDefault(why => why is not null) is { } reason)
                {
                    reporter.Verbose($"Stopping after epoch {epoch + 1}: {reason}");
                    stopEarly = true;
                }

                if (options.EarlyStoppingPatience is { } patience && epochResult.ValidationLoss is { } valLoss)
                {
                    if (best.Offer(network, valLoss, epoch, options.RestoreBestWeights))
                    {
                        reporter.Verbose(string.Create(CultureInfo.InvariantCulture, $"Validation loss improved to {valLoss:F4}."));
                    }
                    else if (epoch - best.Epoch >= patience)
                    {
                        reporter.Verbose(string.Create(CultureInfo.InvariantCulture, $"Early stopping after epoch {epoch + 1}: no improvement for {patience} epochs."));
                        stopEarly = true;
                    }
                }
                if (options.OutputPath is not null)
                {
                    if (options.Checkpoint) Checkpoint.Write(options.OutputPath, run, spec, seed, history, network, optimizer, best);
                    RunResultFile.Write(options.OutputPath, RunResultFile.ToJson(run, null, history, RunStatus.Running));
                }
            }
            if (stopEarly && options.RestoreBestWeights && best.HasWeights)
            {
                best.RestoreInto(network);
                reporter.Verbose($"Restored the weights of epoch {best.Epoch + 1}, the best validation loss.");
            }
            best.Clear();

            if (status == RunStatus.Running)
            {
                reporter.Progress(new ProgressInfo("Evaluating", $"Test set: {data.Test.Count} images", -1));
                using var testX = data.Test.ImagesTensor(device);
                using var testY = data.Test.LabelsTensor(device);
                test = Evaluator.Evaluate(network, testX, testY);
                reporter.Progress(new ProgressInfo("Evaluating", "Done", 100, Completed: true));
                status = RunStatus.Finished;
                trained.TestAccuracy = test.Accuracy;
                if (options.OutputPath is not null)
                {
                    modelPath = Path.Combine(options.OutputPath, ModelFolder);
                    ModelStore.Save(trained, modelPath);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The record of a failed run survives: result.json says FAILED with the error, observers hear it.
            var failed = Result(run, history, null, RunStatus.Failed, null, ex.Message, null);
            if (options.OutputPath is not null) TryWriteResult(options.OutputPath, run, failed, history);
            Notify(observerList, o => o.RunEnded(run, failed));
            trained.Dispose();
            throw;
        }

        var result = Result(run, history, test, status, modelPath, null, trained);
        if (options.OutputPath is not null)
        {
            // Pictures and report.html come before RunEnded so trackers can upload them; they never fail a run.
            if (status == RunStatus.Finished && options.Report)
            {
                Reporting.RunReport.TryWrite(options.OutputPath, result, data.Test, data.ClassNames, reporter);
            }
            TryWriteResult(options.OutputPath, run, result, history);
        }
        Notify(observerList, o => o.RunEnded(run, result));
        return result;
    }

    private static TrainingResult Result(RunStartInfo run, List<EpochResult> history, EvaluationResult? test, RunStatus status, string? modelPath, string? error, TrainedModel? trained) => new()
    {
        RunId = run.RunId,
        RunName = run.RunName,
        Model = run.Model,
        Options = run.Options,
        Dataset = run.Dataset,
        Epochs = history.ToArray(),
        Test = test,
        Status = status,
        Device = run.Device,
        StartTime = run.StartTime,
        EndTime = DateTimeOffset.UtcNow,
        OutputPath = run.OutputPath is null ? null : Path.GetFullPath(run.OutputPath),
        ModelPath = modelPath,
        Error = error,
        TrainedModel = trained,
    };

    private void TryWriteResult(string folder, RunStartInfo run, TrainingResult result, List<EpochResult> history)
    {
        try
        {
            RunResultFile.Write(folder, RunResultFile.ToJson(run, result, history, result.Status));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reporter.Warning($"Could not write {RunResultFile.FileName} in {folder}: {ex.Message}");
        }
    }

    private void Notify(List<ITrainingObserver> observers, Action<ITrainingObserver> call)
    {
        foreach (var observer in observers)
        {
            try
            {
                call(observer);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Observers (trackers, reporters) must never stop training.
                reporter.Warning($"{observer.GetType().Name} failed: {ex.Message}");
            }
        }
    }

    private static void CheckFits(ModelSpec spec, MnistDataset data)
    {
        spec.Summarize();
        if (spec.Input != data.InputShape)
        {
            throw new MnistCnnException("ModelDataMismatch", ErrorKind.InvalidArgument,
                $"The model expects {spec.Input} inputs but {data.Name} has {data.InputShape} images. Create the model from the data: Import-MnistData | New-CnnModel.", spec.Name);
        }
        if (spec.Classes != data.Classes)
        {
            throw new MnistCnnException("ModelDataMismatch", ErrorKind.InvalidArgument,
                $"The model has {spec.Classes} outputs but {data.Name} has {data.Classes} classes.", spec.Name);
        }
    }

    private EpochResult? RunEpoch(CnnModel network, OptimizerHelper optimizer, TrainingOptions options, Tensor trainX, Tensor trainY,
        Tensor? valX, Tensor? valY, Generator generator, int epoch, int batchesPerEpoch, CancellationToken cancellationToken)
    {
        long n = trainX.shape[0];
        network.train();
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        using var lossSum = zeros(1, dtype: ScalarType.Float32, device: trainX.device);
        using var correct = zeros(1, dtype: ScalarType.Int64, device: trainX.device);
        using var order = options.Shuffle
            ? randperm(n, generator: generator).to(trainX.device)
            : arange(n, dtype: ScalarType.Int64, device: trainX.device);
        double lr = double.NaN;
        long seen = 0;
        for (int batch = 0; batch < batchesPerEpoch; batch++)
        {
            if (cancellationToken.IsCancellationRequested) return null;
            double scheduled = LearningRateSchedule.At(options, epoch, batch, batchesPerEpoch);
            if (scheduled != lr)
            {
                lr = scheduled;
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            }
            long start = (long)batch * options.BatchSize;
            long len = Math.Min(options.BatchSize, n - start);
            using (NewDisposeScope())
            {
                var index = order.narrow(0, start, len);
                var x = trainX.index_select(0, index);
                var y = trainY.index_select(0, index);
                var logits = network.forward(x);
                var loss = nn.functional.cross_entropy(logits, y, label_smoothing: options.LabelSmoothing);
                // Gradients are dropped rather than zero-filled: backward then writes them without an extra pass.
                network.zero_grad(set_to_none: true);
                loss.backward();
                optimizer.step();
                using (no_grad())
                {
                    lossSum.add_(loss.detach(), alpha: len);
                    correct.add_(logits.argmax(1).eq(y).sum());
                }
            }
            seen += len;
            if (clock.Elapsed - lastProgress >= ProgressInterval || batch == batchesPerEpoch - 1)
            {
                lastProgress = clock.Elapsed;
                double runningLoss = lossSum.item<float>() / (double)seen;
                double runningAcc = (double)correct.item<long>() / seen;
                if (!double.IsFinite(runningLoss))
                {
                    throw new MnistCnnException("TrainingDiverged", ErrorKind.InvalidOperation,
                        string.Create(CultureInfo.InvariantCulture, $"The loss became {runningLoss} in epoch {epoch + 1}, batch {batch + 1}: training diverged. Lower -LearningRate (now {lr:G3})."));
                }
                // One bar for the whole run, short enough for an 80-column console with PowerShell's time remaining:
                // the rest of this epoch and the epochs after it at this epoch's pace (validation not counted).
                double secondsPerImage = clock.Elapsed.TotalSeconds / seen;
                double remaining = secondsPerImage * ((n - seen) + ((long)n * (options.Epochs - epoch - 1)));
                reporter.Progress(new ProgressInfo(
                    "Training",
                    string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}/{options.Epochs} batch {batch + 1}/{batchesPerEpoch} loss {runningLoss:F4} acc {runningAcc:P1}"),
                    (int)((100L * ((long)epoch * n + seen)) / ((long)options.Epochs * n)),
                    SecondsRemaining: (int)Math.Min(int.MaxValue, Math.Ceiling(remaining))));
            }
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        double epochLoss = lossSum.item<float>() / (double)n;
        double epochAcc = (double)correct.item<long>() / n;
        double? valLoss = null, valAcc = null;
        if (valX is not null && valY is not null)
        {
            var val = Evaluator.Evaluate(network, valX, valY);
            valLoss = val.Loss;
            valAcc = val.Accuracy;
        }
        if (epoch + 1 == options.Epochs) reporter.Progress(new ProgressInfo("Training", "done", 100, Completed: true));
        return new EpochResult(epoch + 1, options.Epochs, epochLoss, epochAcc, valLoss, valAcc, lr, clock.Elapsed.TotalSeconds, n / trainSeconds);
    }

    internal static OptimizerHelper CreateOptimizer(CnnModel network, TrainingOptions o)
    {
        var parameters = network.parameters();
        double lr = o.EffectiveLearningRate;
        return o.Optimizer switch
        {
            OptimizerKind.RmsProp => optim.RMSProp(parameters, lr, alpha: o.Rho, eps: o.Epsilon, weight_decay: o.WeightDecay, momentum: o.Momentum),
            OptimizerKind.Adam => optim.Adam(parameters, lr, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay),
            OptimizerKind.AdamW => optim.AdamW(parameters, lr, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay),
            OptimizerKind.Sgd => optim.SGD(parameters, lr, o.Momentum, 0, o.WeightDecay, o.Nesterov),
            _ => throw new MnistCnnException("UnknownOptimizer", ErrorKind.InvalidArgument, $"Unknown optimizer {o.Optimizer}."),
        };
    }

    /// <summary>Best-validation-loss weights kept for early stopping's restore.</summary>
    internal sealed class BestWeights
    {
        private Dictionary<string, Tensor>? weights;

        public double Loss { get; set; } = double.PositiveInfinity;
        public int Epoch { get; set; } = -1;
        public bool HasWeights => weights is not null;

        public bool Offer(CnnModel network, double loss, int epoch, bool keep)
        {
            if (!(loss < Loss)) return false;
            Loss = loss;
            Epoch = epoch;
            if (keep) Capture(network);
            return true;
        }

        public void Capture(CnnModel network)
        {
            Clear();
            weights = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        }

        public void RestoreInto(CnnModel network)
        {
            if (weights is null) return;
            using var noGrad = no_grad();
            var state = network.state_dict();
            foreach (var (key, value) in weights) state[key].copy_(value);
        }

        public void Save(string path)
        {
            if (weights is null) return;
            using var writer = new BinaryWriter(File.Create(path));
            nn.Module.save_state_dict(writer, weights);
        }

        public void Clear()
        {
            if (weights is null) return;
            foreach (var t in weights.Values) t.Dispose();
            weights = null;
        }

        public Dictionary<string, Tensor>? Weights => weights;
    }

    /// <summary>The state after a finished epoch: enough to resume the run exactly.</summary>
    internal sealed class Checkpoint
    {
        private const string StateFile = "state.json";
        private const string WeightsFile = "weights.bin";
        private const string OptimizerFile = "optimizer.bin";
        private const string BestFile = "best-weights.bin";

        public required string Folder { get; init; }
        public required string RunId { get; init; }
        public required string RunName { get; init; }
        public required ModelSpec Spec { get; init; }
        public required int Seed { get; init; }
        public required List<EpochResult> Epochs { get; init; }
        public int CompletedEpochs => Epochs.Count;
        public double BestLoss { get; init; } = double.PositiveInfinity;
        public int BestEpoch { get; init; } = -1;

        public static void Write(string runFolder, RunStartInfo run, ModelSpec spec, int seed, List<EpochResult> epochs, CnnModel network, OptimizerHelper optimizer, BestWeights best)
        {
            // The previous checkpoint stays until the new one is whole (Read falls back to checkpoint.old).
            IO.AtomicFolder.Write(Path.Combine(runFolder, CheckpointFolder), temp =>
            {
                network.save(Path.Combine(temp, WeightsFile));
                optimizer.save_state_dict(Path.Combine(temp, OptimizerFile));
                if (best.HasWeights) best.Save(Path.Combine(temp, BestFile));
                var state = new JsonObject
                {
                    ["runId"] = run.RunId,
                    ["runName"] = run.RunName,
                    ["seed"] = seed,
                    ["completedEpochs"] = epochs.Count,
                    ["bestLoss"] = double.IsFinite(best.Loss) ? best.Loss : null,
                    ["bestEpoch"] = best.Epoch,
                    ["model"] = SpecJson.ToJson(spec),
                    ["epochs"] = JsonSerializer.SerializeToNode(epochs, SpecJson.Options),
                };
                File.WriteAllText(Path.Combine(temp, StateFile), state.ToJsonString(SpecJson.Options));
            });
        }

        /// <summary>Reads a checkpoint from a run folder or a checkpoint folder.</summary>
        public static Checkpoint Read(string path)
        {
            var full = Path.GetFullPath(path);
            string folder = File.Exists(Path.Combine(full, StateFile)) ? full
                : File.Exists(Path.Combine(full, CheckpointFolder, StateFile)) ? Path.Combine(full, CheckpointFolder)
                : File.Exists(Path.Combine(full, CheckpointFolder + IO.AtomicFolder.OldSuffix, StateFile)) ? Path.Combine(full, CheckpointFolder + IO.AtomicFolder.OldSuffix)
                : throw new MnistCnnException("CheckpointNotFound", ErrorKind.ObjectNotFound,
                    $"No checkpoint in '{path}'. Pass the run folder given to -OutputPath (it holds {CheckpointFolder}/{StateFile}).", path);
            try
            {
                var state = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, StateFile)))!;
                return new Checkpoint
                {
                    Folder = folder,
                    RunId = (string)state["runId"]!,
                    RunName = (string)state["runName"]!,
                    Seed = (int)state["seed"]!,
                    Spec = SpecJson.FromJson(state["model"]!),
                    Epochs = state["epochs"].Deserialize<List<EpochResult>>(SpecJson.Options) ?? new List<EpochResult>(),
                    BestLoss = (double?)state["bestLoss"] ?? double.PositiveInfinity,
                    BestEpoch = (int?)state["bestEpoch"] ?? -1,
                };
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new MnistCnnException("CheckpointInvalid", ErrorKind.InvalidData,
                    $"The checkpoint in '{folder}' is damaged ({ex.Message}). Resume from an intact run folder or start again.", folder, ex);
            }
        }

        public void Restore(CnnModel network, OptimizerHelper optimizer, BestWeights best)
        {
            network.load(Path.Combine(Folder, WeightsFile));
            optimizer.load_state_dict(Path.Combine(Folder, OptimizerFile));
            best.Loss = BestLoss;
            best.Epoch = BestEpoch;
            var bestPath = Path.Combine(Folder, BestFile);
            if (File.Exists(bestPath))
            {
                using var scratch = new CnnModel(Spec);
                scratch.load(bestPath);
                best.Capture(scratch);
            }
        }
    }
}
