namespace MnistCnn.Core.Experiments.Spec;

/// <summary>
/// Reads a spec file and the chain of files it <c>extends</c> (paths relative to the file that names them), and
/// deep-merges them: mappings merge key by key, everything else (lists included) is replaced by the later file.
/// </summary>
internal static class SpecLoader
{
    public sealed record Loaded(SpecMapping Root, IReadOnlyList<string> Files);

    public static Loaded? Load(string path, List<SpecDiagnostic> diagnostics)
    {
        var files = new List<string>();
        var root = LoadFile(Path.GetFullPath(path), null, new List<string>(), files, diagnostics);
        return root is null ? null : new Loaded(root, files);
    }

    private static SpecMapping? LoadFile(string fullPath, SourceLocation? namedAt, List<string> stack, List<string> files, List<SpecDiagnostic> diagnostics)
    {
        if (stack.Contains(fullPath, StringComparer.Ordinal))
        {
            var at = namedAt ?? SourceLocation.StartOf(fullPath);
            string cycle = string.Join(" -> ", stack.SkipWhile(s => s != fullPath).Append(fullPath).Select(Path.GetFileName));
            diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, SpecCodes.ExtendsInvalid,
                $"'extends' makes a cycle: {cycle}. Remove one of these 'extends' so the chain ends."));
            return null;
        }
        string text;
        var limits = SpecLimits.Default;
        try
        {
            if (Directory.Exists(fullPath))
            {
                var at = namedAt ?? SourceLocation.StartOf(fullPath);
                var specs = Directory.EnumerateFiles(fullPath, "*.y*ml").Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(3).ToList();
                string example = specs.Count > 0 ? $" (it holds {string.Join(", ", specs)})" : "";
                diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, namedAt is null ? SpecCodes.FileUnreadable : SpecCodes.ExtendsInvalid,
                    $"'{fullPath}' is a folder, not a spec file{example}. Name one .yaml file in it."));
                return null;
            }
            long length = new FileInfo(fullPath).Length;
            if (length > limits.MaxFileBytes)
            {
                var at = namedAt ?? SourceLocation.StartOf(fullPath);
                diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, SpecCodes.LimitExceeded, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"'{fullPath}' is {length} bytes; a spec file may be at most {limits.MaxFileBytes} bytes (specs state only what differs from the defaults, a few hundred bytes). Check that this is the spec you meant.")));
                return null;
            }
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var at = namedAt ?? SourceLocation.StartOf(fullPath);
            string what = namedAt is null ? "The spec file" : "The file named by 'extends'";
            string why = ex is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : "cannot be read (" + ex.Message + ")";
            diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, namedAt is null ? SpecCodes.FileUnreadable : SpecCodes.ExtendsInvalid,
                $"{what} '{fullPath}' {why}. Check the path (relative paths start at the folder of the file that names them)."));
            return null;
        }
        if (!files.Contains(fullPath, StringComparer.Ordinal)) files.Add(fullPath);
        var node = SpecYaml.Parse(text, fullPath, diagnostics, limits);
        if (node is null) return null;
        if (node is not SpecMapping mapping)
        {
            diagnostics.Add(new SpecDiagnostic(fullPath, node.Location.Line, node.Location.Column, SpecCodes.WrongType,
                $"A spec must be a mapping of keys (name:, model:, training:...), not {node.TypeName}."));
            return null;
        }
        var extendsNode = mapping["extends"];
        if (extendsNode is null) return mapping;

        var bases = new List<SpecScalar>();
        switch (extendsNode)
        {
            case SpecScalar s when !s.IsNull:
                bases.Add(s);
                break;
            case SpecScalar:
                break;
            case SpecSequence seq:
                foreach (var item in seq.Items)
                {
                    if (item is SpecScalar si && !si.IsNull) bases.Add(si);
                    else diagnostics.Add(Diag(item.Location, SpecCodes.WrongType, $"'extends' lists file paths; this item is {item.TypeName}."));
                }
                break;
            default:
                diagnostics.Add(Diag(extendsNode.Location, SpecCodes.WrongType, $"'extends' must be a file path (or a list of them), not {extendsNode.TypeName}."));
                break;
        }
        mapping.Remove("extends");
        stack.Add(fullPath);
        SpecMapping? merged = null;
        foreach (var b in bases)
        {
            string basePath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(fullPath)!, b.Value));
            var baseNode = LoadFile(basePath, b.Location, stack, files, diagnostics);
            if (baseNode is null) continue;
            merged = merged is null ? baseNode : (SpecMapping)Merge(merged, baseNode);
        }
        stack.RemoveAt(stack.Count - 1);
        return merged is null ? mapping : (SpecMapping)Merge(merged, mapping);
    }

    private static SpecDiagnostic Diag(SourceLocation at, string code, string message) => new(at.File, at.Line, at.Column, code, message);

    /// <summary>Deep merge: mappings key by key (keeping the base's key order), anything else replaced by the override.</summary>
    public static SpecNode Merge(SpecNode baseNode, SpecNode overrideNode)
    {
        if (baseNode is not SpecMapping b || overrideNode is not SpecMapping o) return overrideNode.Clone();
        var result = (SpecMapping)b.Clone();
        foreach (var (key, value) in o.Entries)
        {
            var existing = result[key.Value];
            result.Set(key, existing is null ? value.Clone() : Merge(existing, value));
        }
        return result;
    }
}
