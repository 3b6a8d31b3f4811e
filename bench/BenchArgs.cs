using System.Globalization;

namespace Microsoft.ML.Lora.Bench;

/// <summary>A bench command's <c>--name value</c> options, and the child-process arguments that pass some of them on.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> values;
    private readonly string usage;

    private BenchArgs(Dictionary<string, string> values, string usage)
    {
        this.values = values;
        this.usage = usage;
    }

    /// <summary>Parses <c>--name value</c> pairs; <paramref name="usage"/> lists the options in the error message.</summary>
    public static BenchArgs Parse(string[] args, string usage)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value' pairs, got '{string.Join(' ', args)}'. Options: {usage}.");
            result[args[i][2..]] = args[++i];
        }
        return new BenchArgs(result, usage);
    }

    public bool Has(string name) => values.ContainsKey(name);

    public string? String(string name) => values.GetValueOrDefault(name);

    public int? Int(string name) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    public double? Double(string name) => values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public bool? Bool(string name) => values.TryGetValue(name, out var v) ? bool.Parse(v) : null;

    /// <summary>The given options among <paramref name="names"/>, as arguments for a child process.</summary>
    public IEnumerable<string> Forward(params string[] names)
        => names.Where(values.ContainsKey).SelectMany(n => new[] { "--" + n, values[n] });

    public override string ToString() => usage;
}
