using MnistCnn.Core.Models;
using MnistCnn.Core.Training;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

public class EvaluatorTests
{
    /// <summary>
    /// Batched evaluation (a batch size that does not divide the set, channels-last CPU batches) must give what one
    /// NCHW pass over the whole set gives: mean loss, accuracy, and every prediction and confidence.
    /// </summary>
    [Theory]
    [InlineData(16)]
    [InlineData(null)]
    public void BatchedEvaluationMatchesOneWholeSetPass(int? batchSize)
    {
        manual_seed(5);
        using var model = new CnnModel(ModelPresets.Create(ModelPresets.KerasSeed));
        using var images = rand(70, 1, 28, 28);
        using var labels = randint(0, 10, new long[] { 70 });

        var result = Evaluator.Evaluate(model, images, labels, batchSize);
        Assert.True(model.training, "Evaluate must put the model back in training mode");

        model.ChannelsLast = false;
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.forward(images);
        double loss = nn.functional.cross_entropy(logits, labels).item<float>();
        var (values, indices) = nn.functional.softmax(logits, 1).max(1);
        var expectedPred = indices.data<long>().ToArray().Select(v => (int)v).ToArray();
        var expectedConf = values.data<float>().ToArray();
        var actual = labels.data<long>().ToArray().Select(v => (int)v).ToArray();

        Assert.Equal(70, result.Count);
        Assert.Equal(loss, result.Loss, 4);
        Assert.Equal(expectedPred, result.Predicted);
        Assert.Equal(actual, result.Actual);
        for (int i = 0; i < 70; i++) Assert.Equal(expectedConf[i], result.Confidence[i], 4);
        Assert.Equal(expectedPred.Zip(actual).Count(p => p.First == p.Second) / 70.0, result.Accuracy, 10);
    }

    [Fact]
    public void BatchSizeDependsOnTheDevice()
    {
        Assert.Equal(Evaluator.CpuBatchSize, Evaluator.BatchSizeFor(CPU));
        // A device description needs no CUDA runtime; only tensors on it do.
        Assert.Equal(Evaluator.GpuBatchSize, Evaluator.BatchSizeFor(new Device(TorchSharp.DeviceType.CUDA, 0)));
    }
}
