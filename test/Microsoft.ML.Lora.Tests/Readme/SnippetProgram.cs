using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>
/// README snippets compiled with Roslyn into a console program exactly as a user's <c>dotnet new console</c> project would
/// compile them (top-level statements, the SDK's implicit usings, nullable on) and run in this process. Snippets that
/// continue an earlier one are joined the way a user pastes them: all usings first, then the statements in order, then
/// the types. <c>#line</c> directives make every compiler message name README.md and its line. A test may append an
/// epilogue: code that runs after the snippets, sees their variables and hands values to the test through <see cref="Keep"/>.
/// </summary>
public static class SnippetProgram
{
    // What Microsoft.NET.Sdk adds for <ImplicitUsings>enable</ImplicitUsings> in a console project.
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);
    private static readonly Dictionary<string, object?> Kept = [];
    private static int compiled;

    /// <summary>Called by an epilogue: hands <paramref name="value"/> to the test under <paramref name="name"/>.</summary>
    public static void Keep(string name, object? value) => Kept[name] = value;

    /// <summary>
    /// Compiles <paramref name="snippets"/> (in order, each continuing the ones before) plus <paramref name="epilogue"/>,
    /// runs the program with <paramref name="workingDirectory"/> as the current folder and returns what it printed and kept.
    /// </summary>
    /// <exception cref="InvalidOperationException">The program does not compile cleanly (errors and warnings, with README lines).</exception>
    public static SnippetRun Run(IReadOnlyList<ReadmeSnippet> snippets, string workingDirectory, string epilogue = "")
    {
        var assembly = Compile(Source(snippets, epilogue));
        Kept.Clear();
        var output = new StringWriter();
        var (previousOut, previousDirectory) = (Console.Out, Environment.CurrentDirectory);
        Console.SetOut(output);
        Environment.CurrentDirectory = workingDirectory;
        try
        {
            var main = assembly.EntryPoint!;
            main.Invoke(null, main.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"The README program threw {e.InnerException.GetType().Name}: {e.InnerException.Message}\nIt had printed:\n{output}", e.InnerException);
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.CurrentDirectory = previousDirectory;
        }
        return new SnippetRun(output.ToString(), new Dictionary<string, object?>(Kept));
    }

    /// <summary>The program's source: usings of all snippets, then their statements, the epilogue, then their types.</summary>
    public static string Source(IReadOnlyList<ReadmeSnippet> snippets, string epilogue = "")
    {
        var parts = snippets.Select(Split).ToList();
        var source = new StringBuilder();
        foreach (var u in ImplicitUsings) source.Append("global using global::").Append(u).Append(";\n");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (snippet, p) in snippets.Zip(parts))
            for (int i = 0; i < p.Usings.Length; i++)
                if (p.Usings[i].Trim().Length > 0 && seen.Add(p.Usings[i].Trim()))
                    Append(source, snippet.FirstLine + i, p.Usings[i]);
        foreach (var (snippet, p) in snippets.Zip(parts)) Append(source, snippet.FirstLine + p.Usings.Length, p.Statements);
        if (epilogue.Length > 0) source.Append("#line 1 \"epilogue\"\n").Append(epilogue).Append('\n');
        foreach (var (snippet, p) in snippets.Zip(parts)) Append(source, snippet.FirstLine + p.Usings.Length + p.Statements.Length, p.Types);
        return source.ToString();
    }

    private static void Append(StringBuilder source, int readmeLine, params string[] lines)
    {
        if (lines.Length == 0) return;
        source.Append($"#line {readmeLine} \"README.md\"\n");
        foreach (var line in lines) source.Append(line).Append('\n');
    }

    // A top-level program is laid out as usings, statements, types (the compiler requires that order); the three line ranges.
    private static (string[] Usings, string[] Statements, string[] Types) Split(ReadmeSnippet snippet)
    {
        var tree = CSharpSyntaxTree.ParseText(snippet.Code, new CSharpParseOptions(LanguageVersion.Latest));
        var errors = tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidOperationException($"README.md:{snippet.FirstLine}: the snippet under '{snippet.Section}' does not parse: {string.Join("; ", errors)}");
        var root = tree.GetCompilationUnitRoot();
        var text = tree.GetText();
        var lines = snippet.Code.Split('\n');
        int usingsEnd = root.Usings.Count == 0 ? 0 : text.Lines.GetLineFromPosition(root.Usings.Last().Span.End).LineNumber + 1;
        var firstType = root.Members.FirstOrDefault(m => m is not GlobalStatementSyntax);
        int typesStart = firstType is null ? lines.Length : text.Lines.GetLineFromPosition(firstType.FullSpan.Start).LineNumber;
        if (firstType is not null && root.Members.SkipWhile(m => m != firstType).Any(m => m is GlobalStatementSyntax))
            throw new InvalidOperationException($"README.md:{snippet.FirstLine}: the snippet under '{snippet.Section}' has statements after a type declaration.");
        return (lines[..usingsEnd], lines[usingsEnd..typesStart], lines[typesStart..]);
    }

    private static Assembly Compile(string source)
    {
        string name = $"ReadmeProgram{Interlocked.Increment(ref compiled)}";
        var compilation = CSharpCompilation.Create(name,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Program.cs", encoding: Encoding.UTF8)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        // A user's build shows warnings too: a snippet that makes one (nullable, unused, obsolete) is not "as written".
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id is not ("CS1701" or "CS1702")).ToList();
        if (!result.Success || problems.Count > 0)
            throw new InvalidOperationException($"The README program does not compile cleanly:\n{string.Join("\n", problems)}\n--- source ---\n{source}");
        image.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(image);
    }

    // What this test process runs on (the framework and every package the tests reference), plus the test assembly for Keep.
    private static MetadataReference[] LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(SnippetProgram).Assembly.Location).Distinct(StringComparer.Ordinal);
        return paths.Where(IsManaged).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            using var pe = new PEReader(File.OpenRead(path));
            return pe.HasMetadata && pe.GetMetadataReader().IsAssembly;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

/// <summary>What a README program printed and what its epilogue kept.</summary>
public sealed record SnippetRun(string Output, IReadOnlyDictionary<string, object?> Kept)
{
    /// <summary>The kept value <paramref name="name"/> as <typeparamref name="T"/>.</summary>
    public T Get<T>(string name) => Kept.TryGetValue(name, out var v) && v is T t ? t : throw new KeyNotFoundException($"The epilogue kept no {typeof(T).Name} '{name}' (kept: {string.Join(", ", Kept.Keys)}).");
}
