namespace Lakehouse.Common;

/// <summary>A configuration the process must refuse to start with; the message names file, line and key.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);
