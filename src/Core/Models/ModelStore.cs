using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// Saves and loads models as a folder: <c>model.json</c> (format version, architecture, preprocessing, class names,
/// dataset, run id), <c>weights.bin</c> (TorchSharp's state-dict format) and <c>model.onnx</c> (the same model as
/// ONNX, for serving). Writes go to a temporary folder that replaces the old one only when complete, so an
/// interrupted save never leaves a half-written model.
/// </summary>
public static class ModelStore
{
    public const string ManifestFile = "model.json";
    public const string WeightsFile = "weights.bin";
    /// <summary>The model as ONNX (<see cref="OnnxExporter"/>), written beside the weights on every save.</summary>
    public const string OnnxFile = "model.onnx";
    public const int FormatVersion = 1;

    /// <summary>The largest model.json read (1 MiB; a real one is a few kilobytes).</summary>
    public const long MaxManifestBytes = 1L << 20;

    public static void Save(TrainedModel model, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        var full = System.IO.Path.GetFullPath(folder);
        IO.AtomicFolder.Write(full, temp =>
        {
            var manifest = new JsonObject
            {
                ["format"] = "mnistcnn-model",
                ["formatVersion"] = FormatVersion,
                ["name"] = model.Spec.Name,
                ["dataset"] = model.Dataset,
                ["runId"] = model.RunId,
                ["testAccuracy"] = model.TestAccuracy,
                ["toolkitVersion"] = Versions.Toolkit,
                ["savedAt"] = DateTimeOffset.UtcNow.ToString("o"),
                ["classNames"] = new JsonArray(model.ClassNames.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
                ["preprocessing"] = JsonSerializer.SerializeToNode(model.Preprocessing, SpecJson.Options),
                ["model"] = SpecJson.ToJson(model.Spec),
                ["parameters"] = model.Parameters,
            };
            File.WriteAllText(System.IO.Path.Combine(temp, ManifestFile), manifest.ToJsonString(SpecJson.Options));
            model.Network.save(System.IO.Path.Combine(temp, WeightsFile));
            // The same model for serving outside this module; a run's model/ folder is uploaded to MLflow with it.
            OnnxExporter.Write(model, System.IO.Path.Combine(temp, OnnxFile));
        });
        model.Path = full;
    }

    /// <summary>Loads a model folder (or a run folder containing <c>model/</c>) onto <paramref name="device"/>.</summary>
    public static TrainedModel Load(string path, Device? device = null)
    {
        var folder = ResolveFolder(path);
        var manifestPath = System.IO.Path.Combine(folder, ManifestFile);
        string json;
        try
        {
            var info = new FileInfo(manifestPath);
            if (info.Length > MaxManifestBytes)
            {
                throw new MnistCnnException(ModelsErrorIds.ModelFileInvalid, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                    $"{manifestPath} is {info.Length} bytes; a model manifest is a few kilobytes (at most {MaxManifestBytes}). Save the model again with Save-CnnModel."), manifestPath);
            }
            json = File.ReadAllText(manifestPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MnistCnnException(ModelsErrorIds.ModelFileInvalid, ErrorKind.ResourceUnavailable,
                $"{manifestPath} cannot be read ({ex.Message}). Check its permissions.", manifestPath, ex);
        }
        var manifest = ModelManifest.Parse(json, manifestPath, FormatVersion);
        var spec = manifest.Spec;
        var weights = System.IO.Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights))
        {
            throw new MnistCnnException(ModelsErrorIds.ModelWeightsMissing, ErrorKind.ObjectNotFound,
                $"{weights} is missing; the model folder is incomplete. Save the model again.", weights);
        }
        // Checked before the network is built, so a manifest declaring a huge model cannot make it allocate more
        // than its weights file could fill.
        long length = new FileInfo(weights).Length, needed = ModelManifest.MinimumWeightsBytes(spec);
        if (length < needed)
        {
            throw new MnistCnnException(ModelsErrorIds.ModelWeightsInvalid, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                $"{weights} is truncated: it has {length:N0} bytes but the {spec.Layers.Count}-layer architecture in {ManifestFile} has {needed / sizeof(float):N0} values ({needed:N0} bytes at least). Copy the whole file again, or save the model again."), weights);
        }
        var target = device ?? CPU;
        var network = new CnnModel(spec);
        try
        {
            WeightsFileCheck.Check(weights, network.state_dict(), ManifestFile);
            network.load(weights);
        }
        catch (MnistCnnException)
        {
            network.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is not MnistCnnException)
        {
            network.Dispose();
            bool truncated = ex is EndOfStreamException || ex.InnerException is EndOfStreamException;
            throw new MnistCnnException(ModelsErrorIds.ModelWeightsInvalid, ErrorKind.InvalidData, truncated
                ? $"{weights} is truncated: it ends before the last weight of the architecture in {ManifestFile} ({ex.Message}). Copy the whole file again, or save the model again."
                : $"{weights} does not match the architecture in {ManifestFile} ({ex.Message}).", weights, ex);
        }
        if (target.type != DeviceType.CPU) network.to(target);
        network.eval();
        return new TrainedModel(network, spec, manifest.Preprocessing, manifest.ClassNames, manifest.Dataset, target)
        {
            Path = folder,
            RunId = manifest.RunId,
            TestAccuracy = manifest.TestAccuracy,
        };
    }

    /// <summary>Accepts a model folder, a run folder with <c>model/</c>, or a path to model.json.</summary>
    public static string ResolveFolder(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full) && string.Equals(System.IO.Path.GetFileName(full), ManifestFile, StringComparison.OrdinalIgnoreCase))
        {
            return System.IO.Path.GetDirectoryName(full)!;
        }
        if (File.Exists(System.IO.Path.Combine(full, ManifestFile))) return full;
        if (File.Exists(System.IO.Path.Combine(full, "model", ManifestFile))) return System.IO.Path.Combine(full, "model");
        throw new MnistCnnException(ModelsErrorIds.ModelNotFound, ErrorKind.ObjectNotFound,
            $"No model at '{path}': expected a folder with {ManifestFile} and {WeightsFile} (as written by Save-CnnModel or Start-CnnTraining -OutputPath).", path);
    }
}
