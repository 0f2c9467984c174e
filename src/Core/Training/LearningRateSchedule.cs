namespace MnistCnn.Core.Training;

/// <summary>The learning rate for a given batch under <see cref="TrainingOptions.Schedule"/>.</summary>
public static class LearningRateSchedule
{
    public static double At(TrainingOptions options, int epoch, int batch, int batchesPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        double baseRate = options.EffectiveLearningRate;
        long total = (long)options.Epochs * batchesPerEpoch;
        long step = ((long)epoch * batchesPerEpoch) + batch;
        double t = total <= 1 ? 0 : (double)step / (total - 1);
        switch (options.Schedule)
        {
            case LearningRateScheduleKind.Step:
                return baseRate * Math.Pow(options.ScheduleGamma, epoch / options.ScheduleStepEpochs);
            case LearningRateScheduleKind.Exponential:
                return baseRate * Math.Pow(options.ScheduleGamma, epoch);
            case LearningRateScheduleKind.Cosine:
                return options.MinLearningRate + ((baseRate - options.MinLearningRate) * (1 + Math.Cos(Math.PI * t)) / 2);
            case LearningRateScheduleKind.OneCycle:
            {
                // As PyTorch's OneCycleLR: start at peak/25, rise linearly, then cosine-anneal towards zero.
                double peak = baseRate * options.MaxLearningRateFactor;
                double start = peak / 25;
                double end = Math.Max(options.MinLearningRate, peak / 1e4);
                long warm = (long)Math.Round(options.WarmupFraction * total);
                if (step < warm) return start + ((peak - start) * step / Math.Max(1, warm));
                double u = total - warm <= 1 ? 1 : (double)(step - warm) / (total - warm - 1);
                return end + ((peak - end) * (1 + Math.Cos(Math.PI * Math.Min(1, u))) / 2);
            }
            default:
                return baseRate;
        }
    }
}
