using System.Diagnostics;
using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>How a <see cref="TrainingLoop"/> ended.</summary>
public enum LoopOutcome
{
    /// <summary>Every epoch ran.</summary>
    Completed,
    /// <summary>Early stopping ended it (the best weights are restored when asked for).</summary>
    StoppedEarly,
    /// <summary>The caller's stop rule (an <see cref="ITrainingStopRule"/>) ended it after a finished epoch.</summary>
    StoppedByRule,
    /// <summary>The token was cancelled; the epoch under way was dropped.</summary>
    Cancelled,
}

/// <summary>
/// The epochs of a run: per-epoch seeds (so a resumed run shuffles and drops out exactly as an uninterrupted one),
/// shuffled batches in dispose scopes with metrics kept on the device, the learning-rate schedule, validation and
/// early stopping. It knows nothing of files: after each epoch it hands the result to the caller.
/// </summary>
public sealed class TrainingLoop(CnnModel network, OptimizerHelper optimizer, TrainingOptions options, IReporter reporter)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The tensors a loop trains and validates on (validation ones null without a validation split).</summary>
    public sealed record Tensors(Tensor TrainX, Tensor TrainY, Tensor? ValX, Tensor? ValY);

    /// <summary>
    /// Runs epochs from <c>history.Count</c> up to <see cref="TrainingOptions.Epochs"/>, adding each to
    /// <paramref name="history"/> and then calling <paramref name="epochDone"/>, which answers true to stop there.
    /// </summary>
    public LoopOutcome Run(Tensors data, List<EpochResult> history, BestWeights best, Func<EpochResult, bool> epochDone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(best);
        ArgumentNullException.ThrowIfNull(epochDone);
        int seed = options.Seed ?? throw new ArgumentException("The loop needs a seed.", nameof(options));
        int batchesPerEpoch = (int)((data.TrainX.shape[0] + options.BatchSize - 1) / options.BatchSize);
        using var generator = new Generator((ulong)seed);
        for (int epoch = history.Count; epoch < options.Epochs; epoch++)
        {
            generator.manual_seed(unchecked((seed * 1_000_003L) + epoch));
            manual_seed(unchecked((seed * 7919L) + epoch));
            var result = RunEpoch(data, generator, epoch, batchesPerEpoch, cancellationToken);
            if (result is null) return LoopOutcome.Cancelled;
            bool stop = EarlyStopping(best, result, epoch);
            history.Add(result);
            if (epochDone(result)) return LoopOutcome.StoppedByRule;
            if (stop)
            {
                if (options.RestoreBestWeights && best.HasWeights)
                {
                    best.RestoreInto(network);
                    reporter.Verbose($"Restored the weights of epoch {best.Epoch + 1}, the best validation loss.");
                }
                return LoopOutcome.StoppedEarly;
            }
        }
        return LoopOutcome.Completed;
    }

    private bool EarlyStopping(BestWeights best, EpochResult result, int epoch)
    {
        if (options.EarlyStoppingPatience is not { } patience || result.ValidationLoss is not { } valLoss) return false;
        if (best.Offer(network, valLoss, epoch, options.RestoreBestWeights))
        {
            reporter.Verbose(string.Create(CultureInfo.InvariantCulture, $"Validation loss improved to {valLoss:F4}."));
            return false;
        }
        if (epoch - best.Epoch < patience) return false;
        reporter.Verbose(string.Create(CultureInfo.InvariantCulture, $"Early stopping after epoch {epoch + 1}: no improvement for {patience} epochs."));
        return true;
    }

    private EpochResult? RunEpoch(Tensors data, Generator generator, int epoch, int batchesPerEpoch, CancellationToken cancellationToken)
    {
        var (trainX, trainY) = (data.TrainX, data.TrainY);
        long n = trainX.shape[0];
        network.train();
        var clock = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        using var lossSum = zeros(1, dtype: ScalarType.Float32, device: trainX.device);
        using var correct = zeros(1, dtype: ScalarType.Int64, device: trainX.device);
        using var count = n.ToScalar();
        // Owned scalars: ones made implicitly (from len, or TorchSharp's own alpha of add_(x)) could be freed by a
        // collection mid-call (MNC0001/MNC0002, docs/development.md#analyzers). The alpha of 1 serves every batch.
        using var one = 1.ToScalar();
        using var zero = 0.ToScalar();
        using var order = options.Shuffle
            ? randperm(n, generator: generator).to(trainX.device)
            : arange(zero, count, one, dtype: ScalarType.Int64, device: trainX.device); // arange(stop) fills start and step unowned
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
                if (options.Augmentation is { } augmentation) x = Augmenter.Apply(x, augmentation, options.Seed ?? 0, epoch, batch);
                var y = trainY.index_select(0, index);
                var logits = network.forward(x);
                var loss = nn.functional.cross_entropy(logits, y, label_smoothing: options.LabelSmoothing);
                // Gradients are dropped rather than zero-filled: backward then writes them without an extra pass.
                network.zero_grad(set_to_none: true);
                loss.backward();
                if (options.ClipGradValue is { } maxValue) nn.utils.clip_grad_value_(network.parameters(), maxValue);
                if (options.ClipGradNorm is { } maxNorm) nn.utils.clip_grad_norm_(network.parameters(), maxNorm);
                optimizer.step();
                using (no_grad())
                {
                    using var batchWeight = len.ToScalar();
                    lossSum.add_(loss.detach(), batchWeight);
                    correct.add_(logits.argmax(1).eq(y).sum(), one);
                }
            }
            seen += len;
            if (clock.Elapsed - lastProgress >= ProgressInterval || batch == batchesPerEpoch - 1)
            {
                lastProgress = clock.Elapsed;
                ReportProgress(lossSum, correct, seen, n, clock, epoch, batch, batchesPerEpoch, lr);
            }
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        double epochLoss = lossSum.item<float>() / (double)n;
        double epochAcc = (double)correct.item<long>() / n;
        double? valLoss = null, valAcc = null;
        if (data.ValX is not null && data.ValY is not null)
        {
            var val = Evaluator.Evaluate(network, data.ValX, data.ValY);
            valLoss = val.Loss;
            valAcc = val.Accuracy;
        }
        if (epoch + 1 == options.Epochs) reporter.Progress(new ProgressInfo("Training", "done", 100, Completed: true));
        return new EpochResult(epoch + 1, options.Epochs, epochLoss, epochAcc, valLoss, valAcc, lr, clock.Elapsed.TotalSeconds, n / trainSeconds);
    }

    private void ReportProgress(Tensor lossSum, Tensor correct, long seen, long n, Stopwatch clock, int epoch, int batch, int batchesPerEpoch, double lr)
    {
        double runningLoss = lossSum.item<float>() / (double)seen;
        double runningAcc = (double)correct.item<long>() / seen;
        if (!double.IsFinite(runningLoss))
        {
            throw new MnistCnnException(TrainingErrorIds.TrainingDiverged, ErrorKind.InvalidOperation,
                string.Create(CultureInfo.InvariantCulture, $"The loss became {runningLoss} in epoch {epoch + 1}, batch {batch + 1}: training diverged. Lower the learning rate (now {lr:G3})."));
        }
        // One bar for the whole run, short enough for an 80-column console with PowerShell's time remaining:
        // the rest of this epoch and the epochs after it at this epoch's pace (validation not counted).
        double secondsPerImage = clock.Elapsed.TotalSeconds / seen;
        double remaining = secondsPerImage * ((n - seen) + (n * (options.Epochs - epoch - 1)));
        reporter.Progress(new ProgressInfo(
            "Training",
            string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}/{options.Epochs} batch {batch + 1}/{batchesPerEpoch} loss {runningLoss:F4} acc {runningAcc:P1}"),
            (int)((100L * ((epoch * n) + seen)) / (options.Epochs * n)),
            SecondsRemaining: (int)Math.Min(int.MaxValue, Math.Ceiling(remaining))));
    }
}
