using System.Globalization;

namespace Microsoft.ML.Lora.Bench;

/// <summary>A bench command's <c>--name value</c> options.</summary>
internal static class BenchOptions
{
    /// <summary>The options by name; <paramref name="usage"/> lists them in the error for anything else.</summary>
    public static Dictionary<string, string> Parse(string[] args, string usage)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value' pairs, got '{string.Join(' ', args)}'. Options: {usage}.");
            result[args[i][2..]] = args[++i];
        }
        return result;
    }

    /// <summary>The integer option <paramref name="name"/>, or null when absent.</summary>
    public static int? Int(this Dictionary<string, string> options, string name)
        => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>The number option <paramref name="name"/>, or null when absent.</summary>
    public static double? Double(this Dictionary<string, string> options, string name)
        => options.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : null;
}
