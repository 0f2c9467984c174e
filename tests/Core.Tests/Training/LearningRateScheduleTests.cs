using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void ConstantIsTheOptimizersKerasDefault()
    {
        Assert.Equal(0.001, LearningRateSchedule.At(new TrainingOptions(), 3, 10, 100));
        Assert.Equal(0.01, LearningRateSchedule.At(new TrainingOptions { Optimizer = OptimizerKind.Sgd }, 0, 0, 100));
    }

    [Fact]
    public void StepDecayDropsEveryStepEpochs()
    {
        var o = new TrainingOptions { LearningRate = 1, Schedule = LearningRateScheduleKind.Step, ScheduleGamma = 0.5, ScheduleStepEpochs = 2 };
        Assert.Equal(new[] { 1, 1, 0.5, 0.5, 0.25 }, Enumerable.Range(0, 5).Select(e => LearningRateSchedule.At(o, e, 0, 10)));
    }

    [Fact]
    public void CosineRunsFromRateToMinimum()
    {
        var o = new TrainingOptions { LearningRate = 1, Schedule = LearningRateScheduleKind.Cosine, MinLearningRate = 0.1, Epochs = 2 };
        Assert.Equal(1, LearningRateSchedule.At(o, 0, 0, 10), 6);
        Assert.Equal(0.1, LearningRateSchedule.At(o, 1, 9, 10), 6);
    }

    [Fact]
    public void OneCycleWarmsUpToPeakThenAnneals()
    {
        var o = new TrainingOptions { LearningRate = 0.01, Schedule = LearningRateScheduleKind.OneCycle, MaxLearningRateFactor = 10, WarmupFraction = 0.25, Epochs = 4 };
        var rates = Enumerable.Range(0, 4).SelectMany(e => Enumerable.Range(0, 100).Select(b => LearningRateSchedule.At(o, e, b, 100))).ToArray();
        Assert.Equal(0.1 / 25, rates[0], 9);
        Assert.Equal(0.1, rates.Max(), 9);
        Assert.Equal(100, Array.IndexOf(rates, rates.Max()));
        Assert.True(rates[^1] < 0.0001);
    }
}
