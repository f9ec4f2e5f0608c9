using System.Reflection;
using System.Reflection.Emit;

namespace Lakehouse.Tests.Host;

/// <summary>
/// Every type a type uses, as the compiler emitted it: its base type and interfaces, the types of its
/// fields, properties and method signatures, and every type, method and field its method bodies name
/// (read from their IL). Nested types (lambdas' closures, async state machines) count for their outer type.
/// </summary>
public static class TypeReferences
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static IEnumerable<Type> Of(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) Add(t.GetElementType());
            if (t.IsGenericType)
            {
                foreach (var argument in t.GetGenericArguments()) Add(argument);
                t = t.GetGenericTypeDefinition();
            }
            if (!t.IsGenericParameter) found.Add(t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var field in type.GetFields(Everything)) Add(field.FieldType);
        foreach (var property in type.GetProperties(Everything)) Add(property.PropertyType);
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info) Add(info.ReturnType);
            foreach (var parameter in method.GetParameters()) Add(parameter.ParameterType);
            foreach (var used in InBody(method)) Add(used);
        }
        foreach (var nested in type.GetNestedTypes(Everything)) foreach (var used in Of(nested)) Add(used);
        return found;
    }

    /// <summary>The types that the tokens in a method body's IL name.</summary>
    static IEnumerable<Type?> InBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var opCode = OpCodesByValue[value];
            at += opCode.Size;
            var operand = opCode.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
                _ => 4,
            };
            if (opCode.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                MemberInfo? member;
                try
                {
                    member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                }
                catch (ArgumentException)
                {
                    member = null; // a token in a generic context this reading cannot bind; signatures still count
                }
                yield return member as Type ?? member?.DeclaringType;
            }
            at += operand;
        }
    }
}
