using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Runs;

/// <summary>
/// Runs one training run, start to end: checks the settings, takes the run folder's lock, resumes from a checkpoint,
/// seeds, splits the data, runs the <see cref="TrainingLoop"/> (a checkpoint after every epoch), evaluates on the
/// test split and saves the model. <c>result.json</c>, reports and trackers are observers. Stops within a batch when
/// cancelled and keeps the last checkpoint.
/// </summary>
public sealed class Trainer
{
    private readonly IReporter reporter;

    public Trainer(IReporter? reporter = null) => this.reporter = reporter ?? NullReporter.Instance;

    /// <summary>
    /// How the warning of a stopped run says to resume it, after "the checkpoint ... is kept in ...". Null (the
    /// default): "Resume with: Start-CnnTraining -ResumeFrom '&lt;run folder&gt;'". An experiment's trial resumes by
    /// running the experiment again, and says so.
    /// </summary>
    public string? ResumeAdvice { get; init; }

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
                    throw new MnistCnnException(TrainingErrorIds.CudaUnavailable, ErrorKind.ResourceUnavailable,
                        "-Device Cuda was requested but CUDA is not available: this build uses the CPU backend or no GPU/driver was found. " +
                        "Build with -p:TorchBackend=cuda on a machine with an NVIDIA driver (see docs/gpu.md), or use -Device Cpu.", "Cuda");
                }
                return CUDA;
            default:
                return cuda.is_available() ? CUDA : CPU;
        }
    }

    /// <summary>
    /// Trains <paramref name="spec"/> on <paramref name="data"/>. With an output folder the run holds its lock
    /// (<see cref="RunLock"/>; pass <paramref name="folderLock"/> when the caller already holds it; a new run that takes
    /// it itself refuses a folder holding an earlier run, <see cref="RunFolder.ClaimForNewRun"/>), writes a checkpoint
    /// after every epoch and <c>result.json</c> as it goes (<see cref="RunRecordObserver"/>). With
    /// <paramref name="resumeFrom"/> it continues that run with its saved settings (<see cref="ResumeSettings"/>;
    /// <paramref name="givenOnResume"/> names the settings the caller stated, null: all). Nothing is written before the
    /// checkpoint is read and the settings agree, so a failed resume leaves the earlier record as it was.
    /// </summary>
    public TrainingResult Train(
        ModelSpec spec,
        MnistDataset data,
        TrainingOptions options,
        IEnumerable<ITrainingObserver>? observers = null,
        CancellationToken cancellationToken = default,
        string? runName = null,
        string? resumeFrom = null,
        RunLock? folderLock = null,
        IReadOnlySet<string>? givenOnResume = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        CheckFits(spec, data);
        // A caller that holds no lock gets the same guard as the cmdlet: a new run never writes over a folder's earlier run.
        using var ownLock = options.OutputPath is not { } folder || HoldsLock(folderLock, folder) ? null
            : resumeFrom is null ? RunFolder.ClaimForNewRun(folder, force: false, reporter)
            : RunLock.Acquire(folder, "training");
        var checkpoint = resumeFrom is null ? null : RunCheckpoint.Read(resumeFrom);
        if (checkpoint is not null)
        {
            (spec, options) = ResumeSettings.Reconcile(checkpoint, spec, options, data, givenOnResume);
            CheckFits(spec, data);
        }
        options = options with { Seed = options.Seed ?? Random.Shared.Next() };
        if (options.Threads is { } threads) set_num_threads(threads);
        var device = ResolveDevice(options.Device);
        var (trainSplit, valSplit) = Split(data, options);
        var run = StartInfo(spec, options, data, device, trainSplit.Count, valSplit?.Count ?? 0, runName, checkpoint);

        var history = new List<EpochResult>(run.CompletedEpochs);
        manual_seed(options.Seed.Value);
        var trained = new TrainedModel(new CnnModel(spec, device), spec, new Preprocessing(spec.Input.Height, spec.Input.Width, spec.Input.Channels), data.ClassNames, data.Name, device) { RunId = run.RunId };
        using var optimizer = Optimizers.Create(trained.Network.parameters(), options);
        using var best = new BestWeights();
        if (checkpoint is not null) Restore(checkpoint, trained, optimizer, best);
        var listeners = Listeners(options, observers);
        try
        {
            Notify(listeners, o => o.RunStarted(run));
            var outcome = RunLoop(trained, optimizer, best, run, history, trainSplit, valSplit, listeners, cancellationToken);
            var result = outcome == LoopOutcome.Cancelled ? Stopped(trained, run, history) : Finish(trained, data, run, history);
            Notify(listeners, o => o.RunEnded(run, result));
            return result;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The record of a failed run survives: result.json says FAILED with the error, observers hear it.
            var failed = Result(run, history, null, RunStatus.Failed, null, ex.Message, null);
            Notify(listeners, o => o.RunEnded(run, failed));
            trained.Dispose();
            throw;
        }
    }

    /// <summary>What the observers learn at the start: a new run's identity, or the resumed run's with the epochs it already has.</summary>
    private static RunStartInfo StartInfo(ModelSpec spec, TrainingOptions options, MnistDataset data, Device device, int trainCount, int validationCount,
        string? runName, RunCheckpoint? checkpoint)
    {
        var startTime = checkpoint?.StartTime ?? DateTimeOffset.UtcNow;
        return new RunStartInfo(checkpoint?.RunId ?? Guid.NewGuid().ToString("N"), runName ?? checkpoint?.RunName ?? RunFiles.DefaultRunName(spec.Name, startTime),
            spec, options, data.Name, data.Checksums, trainCount, validationCount, data.Test.Count,
            device.type == DeviceType.CUDA ? "cuda" : "cpu", startTime, options.OutputPath, checkpoint?.CompletedEpochs ?? 0)
        {
            CompletedEpochs = checkpoint?.Epochs ?? [],
        };
    }

    /// <summary>Puts the checkpoint's weights, optimizer state and best weights back; a model that cannot take them is disposed.</summary>
    private void Restore(RunCheckpoint checkpoint, TrainedModel trained, OptimizerHelper optimizer, BestWeights best)
    {
        try
        {
            checkpoint.Restore(trained.Network, optimizer, best);
        }
        catch
        {
            trained.Dispose();
            throw;
        }
        reporter.Verbose($"Resumed run {trained.RunId} after epoch {checkpoint.CompletedEpochs} from {checkpoint.Folder}.");
    }

    /// <summary>The caller's observers, after the run folder's record (<c>result.json</c>) when there is a folder.</summary>
    private List<ITrainingObserver> Listeners(TrainingOptions options, IEnumerable<ITrainingObserver>? observers)
    {
        var listeners = new List<ITrainingObserver>();
        if (options.OutputPath is not null) listeners.Add(new RunRecordObserver(options.OutputPath, reporter));
        listeners.AddRange(observers ?? []);
        return listeners;
    }

    private LoopOutcome RunLoop(TrainedModel trained, OptimizerHelper optimizer, BestWeights best, RunStartInfo run, List<EpochResult> history,
        DataSplit trainSplit, DataSplit? valSplit, List<ITrainingObserver> listeners, CancellationToken cancellationToken)
    {
        var device = trained.Device;
        using var trainX = trainSplit.ImagesTensor(device);
        using var trainY = trainSplit.LabelsTensor(device);
        using var valX = valSplit?.ImagesTensor(device);
        using var valY = valSplit?.LabelsTensor(device);
        var loop = new TrainingLoop(trained.Network, optimizer, run.Options, reporter);
        return loop.Run(new TrainingLoop.Tensors(trainX, trainY, valX, valY), history, best, epoch =>
        {
            // The checkpoint comes first: an epoch the journal holds is always one a resume starts after (or redoes identically).
            if (run.OutputPath is not null && run.Options.Checkpoint) RunCheckpoint.Write(run.OutputPath, run, history, trained.Network, optimizer, best);
            Notify(listeners, o => o.EpochCompleted(run, epoch));
            if (listeners.OfType<ITrainingStopRule>().Select(r => r.ShouldStop(run, epoch)).FirstOrDefault(why => why is not null) is not { } reason) return false;
            reporter.Verbose($"Stopping after epoch {epoch.Epoch}: {reason}");
            return true;
        }, cancellationToken);
    }

    private TrainingResult Stopped(TrainedModel trained, RunStartInfo run, List<EpochResult> history)
    {
        reporter.Warning(history.Count > 0 && run.OutputPath is not null && run.Options.Checkpoint
            ? $"Training stopped during epoch {history.Count + 1}; the checkpoint after epoch {history.Count} is kept in {Path.Combine(run.OutputPath, RunFiles.Checkpoint)}. {ResumeAdvice ?? $"Resume with: Start-CnnTraining -ResumeFrom '{run.OutputPath}'"}"
            : $"Training stopped during epoch {history.Count + 1}.");
        return Result(run, history, null, RunStatus.Killed, null, null, trained);
    }

    private TrainingResult Finish(TrainedModel trained, MnistDataset data, RunStartInfo run, List<EpochResult> history)
    {
        reporter.Progress(new ProgressInfo("Evaluating", $"Test set: {data.Test.Count} images", -1));
        using var testX = data.Test.ImagesTensor(trained.Device);
        using var testY = data.Test.LabelsTensor(trained.Device);
        var test = Evaluator.Evaluate(trained.Network, testX, testY);
        reporter.Progress(new ProgressInfo("Evaluating", "Done", 100, Completed: true));
        trained.TestAccuracy = test.Accuracy;
        string? modelPath = null;
        if (run.OutputPath is not null)
        {
            modelPath = Path.Combine(run.OutputPath, RunFiles.Model);
            ModelStore.Save(trained, modelPath);
        }
        return Result(run, history, test, RunStatus.Finished, modelPath, null, trained);
    }

    private static bool HoldsLock(RunLock? held, string folder) =>
        held is not null && string.Equals(held.Folder, Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)), StringComparison.Ordinal);

    private static void Validate(TrainingOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new MnistCnnException(TrainingErrorIds.TrainingOptionsInvalid, ErrorKind.InvalidArgument, "Invalid training options: " + string.Join(" ", problems));
        }
    }

    private (DataSplit Train, DataSplit? Validation) Split(MnistDataset data, TrainingOptions options)
    {
        int valCount = (int)Math.Floor(data.Train.Count * options.ValidationSplit);
        int trainCount = data.Train.Count - valCount;
        if (trainCount < 1)
        {
            throw new MnistCnnException(TrainingErrorIds.TrainingDataEmpty, ErrorKind.InvalidArgument,
                $"No training examples left after holding out {valCount} for validation. Lower the validation split.");
        }
        if (options.BatchSize > trainCount)
        {
            reporter.Warning(string.Create(CultureInfo.InvariantCulture,
                $"BatchSize {options.BatchSize} is more than the {trainCount} training examples{(valCount > 0 ? $" left after holding out {valCount} for validation" : "")}: each epoch is one step over all of them at once, which needs memory for all {trainCount} together and learns far less per epoch. Use a batch well below {trainCount} (the tutorial uses 64)."));
        }
        // Keras takes the validation split from the end of the training data, before shuffling.
        return valCount == 0 ? (data.Train, null) : (data.Train.Slice(0, trainCount, "train"), data.Train.Slice(trainCount, valCount, "validation"));
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
            throw new MnistCnnException(TrainingErrorIds.ModelDataMismatch, ErrorKind.InvalidArgument,
                $"The model expects {spec.Input} inputs but {data.Name} has {data.InputShape} images. Create the model from the data: Import-MnistData | New-CnnModel.", spec.Name);
        }
        if (spec.Classes != data.Classes)
        {
            throw new MnistCnnException(TrainingErrorIds.ModelDataMismatch, ErrorKind.InvalidArgument,
                $"The model has {spec.Classes} outputs but {data.Name} has {data.Classes} classes.", spec.Name);
        }
    }
}
