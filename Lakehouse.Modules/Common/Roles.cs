using Microsoft.AspNetCore.Http;

namespace Lakehouse.Common;

/// <summary>
/// The roles an [auth] key can have. The host's authorization sets the caller's role on
/// HttpContext.User; an anonymous caller (auth off) holds read_write, never module.
/// </summary>
public static class Roles
{
    public const string ReadOnly = "read_only";
    public const string ReadWrite = "read_write";

    /// <summary>Another Lakehouse process: may also write the modules' own objects (_catalog/, _vectors/) and call module endpoints.</summary>
    public const string Module = "module";

    public static readonly IReadOnlyList<string> All = [ReadWrite, ReadOnly, Module];

    public static bool IsModule(this HttpContext context) => context.User.IsInRole(Module);

    /// <summary>What a caller without a module key is told when it tries what only modules may do.</summary>
    public const string ModuleKeyNeeded =
        "only another Lakehouse process may do this: it needs an [auth] key with role = \"module\", given to that process as [remote] api_key";
}
