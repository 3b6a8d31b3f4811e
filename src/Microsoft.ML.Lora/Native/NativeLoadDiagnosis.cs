using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Lora.Native;

/// <summary>
/// Turns the dynamic loader's reason for a failed load into a message that names the real cause and the fix. TorchSharp's
/// own message for every such failure ("doesn't contain a reference to libtorch-cpu-linux-x64") hides the cause: a symbol
/// version the system's libstdc++ lacks reads the same as a missing package.
/// </summary>
internal static partial class NativeLoadDiagnosis
{
    /// <summary>"<paramref name="Provider"/>: version `<paramref name="Version"/>' not found (required by <paramref name="RequiredBy"/>)".</summary>
    internal sealed record MissingSymbolVersion(string Provider, string Version, string RequiredBy);

    /// <summary>The dynamic loader's (dlerror) part of a <see cref="DllNotFoundException"/> message: .NET puts its own advice first.</summary>
    public static string LoaderMessage(string exceptionMessage)
    {
        const string Marker = "LD_DEBUG environment variable:";
        int at = exceptionMessage.IndexOf(Marker, StringComparison.Ordinal);
        return (at >= 0 ? exceptionMessage[(at + Marker.Length)..] : exceptionMessage).Trim();
    }

    /// <summary>The missing symbol version the loader reports, or null when the failure is something else.</summary>
    public static MissingSymbolVersion? MissingVersion(string loaderMessage)
    {
        var m = MissingVersionPattern().Match(loaderMessage);
        return m.Success ? new MissingSymbolVersion(m.Groups["provider"].Value, m.Groups["version"].Value, m.Groups["by"].Value.Trim()) : null;
    }

    /// <summary>
    /// The message for a library that the loader refused: its reason, what it means, what Microsoft.ML.Lora tried
    /// (<paramref name="attempt"/>, or null) and the fix.
    /// </summary>
    public static string Describe(string library, string loaderMessage, string? attempt, string torchSharpVersion)
    {
        var text = new StringBuilder($"TorchSharp's native library {library} cannot be loaded: {loaderMessage}");
        if (!loaderMessage.EndsWith('.')) text.Append('.');
        if (MissingVersion(loaderMessage) is { } missing)
        {
            text.Append($" The system's {Path.GetFileName(missing.Provider)} ({missing.Provider}) is older than the one {Path.GetFileName(missing.RequiredBy)} was built with: it lacks {missing.Version}{IntroducedIn(missing.Version)}.");
            if (attempt is not null) text.Append($" Microsoft.ML.Lora's compatibility fix did not apply: {attempt}.");
            text.Append(missing.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal) || missing.Version.StartsWith("CXXABI_", StringComparison.Ordinal)
                ? $" Fix: run on a system with a newer libstdc++ (Debian 13, Ubuntu 24.04 or later), or install one and put it on LD_LIBRARY_PATH."
                : $" Fix: run on a newer Linux distribution (this one's C library is too old for this TorchSharp build).");
        }
        else if (MissingFilePattern().Match(loaderMessage) is { Success: true } file)
        {
            string name = file.Groups["file"].Value;
            text.Append(IsLibtorchFile(name)
                ? $" {name} comes with libtorch, which the application does not reference. Fix: add a TorchSharp backend package to the application's project: {BackendPackages(torchSharpVersion)}."
                : $" Fix: install the package that provides {name}, or put its folder on LD_LIBRARY_PATH (`ldd {library}` lists what is missing).");
        }
        else
        {
            if (attempt is not null) text.Append($" Microsoft.ML.Lora's compatibility fix did not apply: {attempt}.");
            text.Append($" Fix: `ldd {library}` lists the dependencies the loader cannot find or use.");
        }
        return text.ToString();
    }

    /// <summary>The message when TorchSharp's own load failed where this library did not load it first (another OS or layout).</summary>
    public static string TorchSharpFailed(Exception error, IReadOnlyList<string> searchedFolders, string torchSharpVersion)
    {
        var inner = error;
        while (inner.InnerException is not null) inner = inner.InnerException;
        string first = inner.Message.Split('\n', 2)[0].Trim();
        var text = new StringBuilder($"TorchSharp's native library could not be loaded: {first}");
        if (searchedFolders.Count > 0) text.Append($" (Microsoft.ML.Lora found no {(OperatingSystem.IsLinux() ? "libLibTorchSharp.so" : "native library")} in {string.Join(", ", searchedFolders)}.)");
        text.Append($" Fix: the application's project needs a TorchSharp backend package: {BackendPackages(torchSharpVersion)}.");
        if (OperatingSystem.IsLinux()) text.Append(" If it has one, `ldd` on the libLibTorchSharp.so in its output folder shows which dependency the loader cannot find or use.");
        return text.ToString();
    }

    private static string BackendPackages(string version) =>
        $"<PackageReference Include=\"TorchSharp-cpu\" Version=\"{version}\" /> for the CPU, or TorchSharp-cuda-linux / TorchSharp-cuda-windows {version} for an NVIDIA GPU";

    private static bool IsLibtorchFile(string name)
    {
        string file = Path.GetFileName(name);
        return file.StartsWith("libtorch", StringComparison.Ordinal) || file.StartsWith("libc10", StringComparison.Ordinal)
            || file.StartsWith("libgomp", StringComparison.Ordinal);
    }

    /// <summary>Which toolchain first provides a symbol version: GLIBCXX_3.4.N with GCC, GLIBC_2.N with glibc 2.N.</summary>
    private static string IntroducedIn(string version) => version switch
    {
        "GLIBCXX_3.4.29" => " (libstdc++ of GCC 11)",
        "GLIBCXX_3.4.30" => " (libstdc++ of GCC 12)",
        "GLIBCXX_3.4.31" => " (libstdc++ of GCC 13.1)",
        "GLIBCXX_3.4.32" => " (libstdc++ of GCC 13.2; Debian 12 and Ubuntu 22.04 have GCC 12's)",
        "GLIBCXX_3.4.33" => " (libstdc++ of GCC 14)",
        "GLIBCXX_3.4.34" => " (libstdc++ of GCC 15)",
        _ when version.StartsWith("GLIBC_2.", StringComparison.Ordinal) => $" (glibc {version["GLIBC_".Length..]})",
        _ => "",
    };

    [GeneratedRegex(@"(?<provider>\S+): version `(?<version>[^']+)' not found \(required by (?<by>[^)]+)\)")]
    private static partial Regex MissingVersionPattern();

    [GeneratedRegex(@"(?<file>[^\s:]+): cannot open shared object file")]
    private static partial Regex MissingFilePattern();
}
