using System.Globalization;

namespace Microsoft.ML.Lora.Bench;

/// <summary>The commands' <c>--name value</c> options.</summary>
internal static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/>, or null when it is not given.</summary>
    public static string? String(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The integer after <paramref name="name"/>, or null when it is not given.</summary>
    public static int? Int(string[] args, string name) => String(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
}
