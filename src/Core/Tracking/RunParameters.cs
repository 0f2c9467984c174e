using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// Turns what a run is (options, model, data, device, versions) into flat MLflow params and system tags:
/// <c>batch_size=64</c>, <c>model.layers.0.type=conv2d</c>, <c>model.layers.0.filters=32</c>,
/// <c>dataset.checksum.train-images-idx3-ubyte.gz=...</c>, <c>torchsharp.version=0.107.0</c>.
/// </summary>
public static partial class RunParameters
{
    /// <summary>Every param of a training run, in a stable order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> For(RunStartInfo run)
    {
        var p = new List<KeyValuePair<string, string>>();
        p.AddRange(Options(run.Options));
        p.AddRange(Model(run.Model));
        p.Add(new("dataset", run.Dataset));
        p.Add(new("dataset.train_count", Format(run.TrainCount)));
        p.Add(new("dataset.validation_count", Format(run.ValidationCount)));
        p.Add(new("dataset.test_count", Format(run.TestCount)));
        foreach (var kv in run.DataChecksums.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            p.Add(new("dataset.checksum." + kv.Key, kv.Value));
        }
        p.Add(new("device", run.Device));
        p.AddRange(Versions());
        return p;
    }

    /// <summary>Every hyperparameter of <see cref="TrainingOptions"/>, snake_case; learning_rate is the effective rate.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Options(TrainingOptions options)
    {
        var p = new List<KeyValuePair<string, string>>();
        foreach (var prop in typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(x => x.MetadataToken))
        {
            if (prop.GetIndexParameters().Length > 0 || prop.Name is nameof(TrainingOptions.OutputPath) or nameof(TrainingOptions.EffectiveLearningRate)) continue;
            object? value = prop.GetValue(options);
            string key = prop.Name switch
            {
                nameof(TrainingOptions.Device) => "device_requested",
                _ => SnakeCase(prop.Name),
            };
            if (prop.Name == nameof(TrainingOptions.LearningRate)) value = options.EffectiveLearningRate;
            if (value is AugmentationOptions a)
            {
                p.Add(new("augmentation.shift", Format(a.Shift)));
                p.Add(new("augmentation.rotation", Format(a.Rotation)));
                p.Add(new("augmentation.scale", Format(a.Scale)));
                p.Add(new("augmentation.elastic_alpha", Format(a.ElasticAlpha)));
                p.Add(new("augmentation.elastic_sigma", Format(a.ElasticSigma)));
                continue;
            }
            p.Add(new(key, Format(value)));
        }
        return p;
    }

    /// <summary>
    /// The training options a run's params describe (the reverse of <see cref="Options"/>): every option whose param is
    /// there and parses; the others keep their defaults. For reports of runs read from a server.
    /// </summary>
    public static TrainingOptions OptionsFrom(IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var options = new TrainingOptions();
        foreach (var prop in typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!prop.CanWrite || prop.GetIndexParameters().Length > 0 || prop.Name is nameof(TrainingOptions.OutputPath) or nameof(TrainingOptions.Device)) continue;
            if (!parameters.TryGetValue(SnakeCase(prop.Name), out var text) || text.Length == 0) continue;
            var type = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            object? value = null;
            if (type.IsEnum && Enum.TryParse(type, text, ignoreCase: true, out var e)) value = e;
            else if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) value = i;
            else if (type == typeof(long) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) value = l;
            else if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) value = d;
            else if (type == typeof(bool) && bool.TryParse(text, out bool b)) value = b;
            if (value is not null) prop.SetValue(options, value);
        }
        return options;
    }

    /// <summary>The model: name, input shape, classes, parameter count and every layer's settings.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Model(ModelSpec model)
    {
        var p = new List<KeyValuePair<string, string>>
        {
            new("model.name", model.Name),
            new("model.input_shape", model.Input.ToString()),
            new("model.classes", Format(model.Classes)),
        };
        try
        {
            p.Add(new("model.parameters", Format(model.ParameterCount)));
        }
        catch (Diagnostics.MnistCnnException)
        {
            // An invalid stack cannot be counted; the trainer reports that itself.
        }
        p.Add(new("model.layers.count", Format(model.Layers.Count)));
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            string prefix = string.Create(CultureInfo.InvariantCulture, $"model.layers.{i}.");
            p.Add(new(prefix + "type", layer.Kind));
            foreach (var prop in layer.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(x => x.MetadataToken))
            {
                if (prop.GetIndexParameters().Length > 0 || prop.Name == nameof(LayerSpec.Kind) || prop.Name.StartsWith("Effective", StringComparison.Ordinal)) continue;
                p.Add(new(prefix + SnakeCase(prop.Name), Format(prop.GetValue(layer))));
            }
        }
        return p;
    }

    /// <summary>mnistcnn.version, torchsharp.version and libtorch.version.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Versions()
    {
        return
        [
            new("mnistcnn.version", Diagnostics.Versions.Toolkit),
            new("torchsharp.version", Diagnostics.Versions.TorchSharp),
            new("libtorch.version", Diagnostics.Versions.LibTorch),
        ];
    }

    /// <summary>The system tags of a run: mlflow.runName, mlflow.user, mlflow.source.*, mnistcnn.run_id.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> SystemTags(TrackingSettings settings, string runId, string runName)
    {
        var tags = new List<KeyValuePair<string, string>>
        {
            new("mlflow.runName", runName),
            new("mlflow.user", settings.User),
            new("mlflow.source.name", settings.SourceName),
            new("mlflow.source.type", "LOCAL"),
            new(RunSynchronizer.RunIdTag, runId),
        };
        if (Diagnostics.GitInfo.Commit(settings.SourceDirectory ?? Environment.CurrentDirectory) is { } commit) tags.Add(new("mlflow.source.git.commit", commit));
        if (settings.ParentRunId is { } parent) tags.Add(new("mnistcnn.parent_run_id", parent));
        // The user's tags (spec tracking.tags, -Tag) after the module's own, which they cannot replace.
        var own = tags.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in settings.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!own.Contains(key) && !IsReservedTag(key)) tags.Add(new(key, value));
        }
        return tags;
    }

    /// <summary>
    /// True for the tags MnistCnn sets itself, which a user's tag (-Tag, tracking.tags) cannot replace: mlflow.runName,
    /// mlflow.user, mlflow.parentRunId, mlflow.source.*, and everything under mnistcnn.
    /// </summary>
    public static bool IsReservedTag(string key) =>
        key is "mlflow.runName" or "mlflow.user" or RunSynchronizer.ParentRunIdTag ||
        key.StartsWith("mlflow.source.", StringComparison.Ordinal) || key.StartsWith("mnistcnn.", StringComparison.Ordinal);

    /// <summary>The warning for the user's tags that <see cref="IsReservedTag"/> refuses, or null when there are none.</summary>
    public static string? ReservedTagWarning(IEnumerable<string> keys)
    {
        var reserved = keys.Where(IsReservedTag).Order(StringComparer.Ordinal).ToList();
        if (reserved.Count == 0) return null;
        return $"The tag{(reserved.Count == 1 ? "" : "s")} {string.Join(", ", reserved.Select(k => "'" + k + "'"))} {(reserved.Count == 1 ? "is" : "are")} set by MnistCnn itself " +
            "(mlflow.runName, mlflow.user, mlflow.parentRunId, mlflow.source.*, mnistcnn.*); your value is not used. Rename the tag to keep it.";
    }

    /// <summary>PascalCase to snake_case: BatchSize -> batch_size, Beta1 -> beta1.</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>How values are written: invariant round-trip numbers, lower-case booleans and enums, Keras activation names, "None" for null.</summary>
    public static string Format(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        Activation a => ActivationNames.ToName(a),
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
