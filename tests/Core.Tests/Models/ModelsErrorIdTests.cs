using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using TorchSharp;

namespace MnistCnn.Core.Tests.Models;

/// <summary>Model-folder and ONNX-export errors that no other test provokes, each with its own bad input.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class ModelsErrorIdTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-model-ids-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void AModelFolderWithoutItsWeightsSaysItIsIncomplete()
    {
        using (var model = TestImages.UntrainedModel()) ModelStore.Save(model, root);
        File.Delete(Path.Combine(root, ModelStore.WeightsFile));
        var ex = Assert.Throws<MnistCnnException>(() => ModelStore.Load(root));
        Assert.Equal((ModelsErrorIds.ModelWeightsMissing, ErrorKind.ObjectNotFound), (ex.ErrorId, ex.Kind));
        Assert.Equal(Path.Combine(root, ModelStore.WeightsFile), ex.Target);
    }

    [Fact]
    public void AModelFolderFromANewerToolkitSaysToUpdate()
    {
        using (var model = TestImages.UntrainedModel()) ModelStore.Save(model, root);
        string manifest = Path.Combine(root, ModelStore.ManifestFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        json["formatVersion"] = ModelStore.FormatVersion + 1;
        File.WriteAllText(manifest, json.ToJsonString());
        var ex = Assert.Throws<MnistCnnException>(() => ModelStore.Load(root));
        Assert.Equal((ModelsErrorIds.ModelFormatTooNew, ErrorKind.InvalidData), (ex.ErrorId, ex.Kind));
        Assert.Contains("Update MnistCnn", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnActivationWithoutAnOnnxExportIsNamed()
    {
        using var model = Mismatched(new DenseSpec(10, (Activation)99), new DenseSpec(10, Activation.Softmax));
        var ex = Assert.Throws<MnistCnnException>(() => OnnxExporter.Build(model));
        Assert.Equal((ModelsErrorIds.OnnxLayerUnsupported, ErrorKind.NotImplemented), (ex.ErrorId, ex.Kind));
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeightsThatLackALayerOfTheArchitectureAreRefused()
    {
        // The architecture has a batch normalisation the network's weights do not.
        using var model = Mismatched(new BatchNormSpec(), new DropoutSpec());
        var ex = Assert.Throws<MnistCnnException>(() => OnnxExporter.Build(model));
        Assert.Equal((ModelsErrorIds.OnnxWeightsMissing, ErrorKind.InvalidData), (ex.ErrorId, ex.Kind));
        Assert.Contains(".weight", ex.Target, StringComparison.Ordinal);
    }

    // A model whose spec has `claimed` where its network was built with `built` (a model folder edited by hand).
    private static TrainedModel Mismatched(LayerSpec claimed, LayerSpec built)
    {
        static ModelSpec Spec(LayerSpec layer) => new(InputShape.Mnist, 10, [new FlattenSpec(), new DenseSpec(8), layer, new DenseSpec(10, Activation.Softmax)], "edited");
        var spec = Spec(claimed);
        return new TrainedModel(new CnnModel(Spec(built)), spec, new Preprocessing(),
            Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), "synthetic", torch.CPU);
    }
}
