namespace MnistCnn.Bench;

/// <summary>The fast recipe's training arguments for the bare loop; each can be overridden on the command line.</summary>
internal static class FastRecipe
{
    private static readonly (string Name, string? Value)[] Defaults =
    {
        ("preset", "fast-mnist"),
        ("epochs", "2"),
        ("batch-size", "128"),
        ("optimizer", "adam"),
        ("lr", "0.001"),
        ("schedule", "onecycle"),
        ("max-lr-factor", "10"),
        ("warmup-fraction", "0.2"),
        ("eval-batch", "64"),
    };

    public static IEnumerable<string> Arguments(Options o)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in Defaults)
        {
            names.Add(name);
            yield return "--" + name;
            var chosen = o.Has(name) ? o.Text(name) : value;
            if (chosen is not null) yield return chosen;
        }
        foreach (var (name, value) in o.All)
        {
            if (names.Contains(name) || name is "seeds") continue;
            yield return "--" + name;
            if (value is not null) yield return value;
        }
    }
}
