using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Training.Settings;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>
/// Writes the training settings of experiments/mnistcnn-experiment.schema.json from the
/// <see cref="TrainingSettingsCatalog"/>: each setting's property (type, choices, range, help) in its section, in
/// the order <see cref="SpecKeys"/> lists the keys. The rest of the schema (model, layers, tracking, sweep) is kept as
/// it is. A test fails when the committed file differs from <see cref="Update"/>'s output;
/// scripts/Update-GeneratedFiles.ps1 rewrites it.
/// </summary>
public static class SpecSchema
{
    /// <summary>Spec sections the catalog writes, and the schema definition holding each.</summary>
    private static readonly (string Section, string Definition, IReadOnlyList<string> Keys)[] Sections =
    {
        ("data", "data", SpecKeys.Data),
        ("data.augmentation", "augmentation", SpecKeys.Augmentation),
        ("training", "training", SpecKeys.Training),
        ("training.schedule", "schedule", SpecKeys.Schedule),
        ("training.earlyStopping", "earlyStopping", SpecKeys.EarlyStopping),
    };

    /// <summary>
    /// <paramref name="schemaJson"/> with every catalog setting's property written from the catalog, one line each, in
    /// <see cref="SpecKeys"/> order. Lines of other keys in those sections (data.dataset, the $ref of
    /// training.schedule) and everything else in the file are kept byte for byte.
    /// </summary>
    public static string Update(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        _ = JsonNode.Parse(schemaJson); // refuse what is not JSON before editing it
        var lines = schemaJson.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        foreach (var (section, definition, keys) in Sections)
        {
            int start = lines.FindIndex(l => l == $"    \"{definition}\": {{");
            if (start < 0) throw new InvalidOperationException($"The schema has no definition '{definition}' at the usual place.");
            int props = lines.FindIndex(start, l => l == "      \"properties\": {");
            int end = props < 0 ? -1 : lines.FindIndex(props, l => l.StartsWith("      }", StringComparison.Ordinal));
            if (end < 0) throw new InvalidOperationException($"The schema's definition '{definition}' has no properties block at the usual place.");
            if (TrainingSettingsCatalog.All.FirstOrDefault(s => s.YamlPath == section) is { } composite)
            {
                int description = lines.FindIndex(start, props - start, l => l.StartsWith("      \"description\": ", StringComparison.Ordinal));
                if (description >= 0) lines[description] = "      \"description\": " + Quote(composite.Help) + ",";
            }
            var old = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int k = props + 1; k < end; k++)
            {
                string line = lines[k].TrimEnd(',');
                int colon = line.IndexOf("\":", StringComparison.Ordinal);
                if (colon > 0) old[line.Trim()[1..(line.Trim().IndexOf('"', 1))]] = line;
            }
            var block = new List<string>();
            foreach (var key in keys)
            {
                var setting = TrainingSettingsCatalog.InSection(section).FirstOrDefault(s => s.YamlKey == key);
                string line = setting is not null && setting.Type != SettingType.Composite
                    ? $"        {Quote(key)}: {Inline(PropertyOf(setting))}"
                    : old.GetValueOrDefault(key) ?? throw new InvalidOperationException($"The schema has no property for {section}.{key}; add it by hand.");
                block.Add(line);
            }
            for (int k = 0; k < block.Count - 1; k++) block[k] += ",";
            lines.RemoveRange(props + 1, end - props - 1);
            lines.InsertRange(props + 1, block);
        }
        return string.Join('\n', lines);
    }

    /// <summary>The JSON schema of one setting's value.</summary>
    public static JsonObject PropertyOf(TrainingSetting setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var p = new JsonObject { ["description"] = setting.Help };
        if (setting.Type == SettingType.Choice)
        {
            var names = new JsonArray();
            foreach (var n in setting.ChoiceNames.Concat(setting.SchemaAliases)) names.Add(n);
            p["enum"] = names;
            return p;
        }
        string type = setting.Type switch
        {
            SettingType.Integer => "integer",
            SettingType.Number => "number",
            SettingType.Boolean => "boolean",
            _ => "string",
        };
        p["type"] = setting.Nullable ? new JsonArray(type, "null") : type;
        if (setting.Minimum is { } lo) p[setting.MinimumExclusive ? "exclusiveMinimum" : "minimum"] = Number(lo);
        if (setting.Maximum is { } hi) p[setting.MaximumExclusive ? "exclusiveMaximum" : "maximum"] = Number(hi);
        return p;
    }

    private static JsonNode Number(double d) => d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);

    private static readonly JsonSerializerOptions Leaf = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Inline(JsonNode? node) => node switch
    {
        JsonArray a => "[" + string.Join(", ", a.Select(Inline)) + "]",
        JsonObject o => "{ " + string.Join(", ", o.Select(kv => Quote(kv.Key) + ": " + Inline(kv.Value))) + " }",
        null => "null",
        _ => node.ToJsonString(Leaf),
    };

    private static string Quote(string s) => JsonSerializer.Serialize(s, Leaf);
}
