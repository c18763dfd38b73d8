// Executes a parsed template the way Go's text/template/exec.go does (Go 1.19), with
// missingkey=zero as Prometheus sets it. Error positions follow Go's s.at(node) calls, so
// messages read "template: NAME:L:C: executing "NAME" at <node>: ...".
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alert/template_funcs.h"
#include "alert/template_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

using Args = std::vector<const PNode*>;

// text/template's printValue: pointers are followed, a missing value is "<no value>".
std::string PrintableText(const Value& v);

// html/template's htmlEscaper for text context.
std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '+': out += "&#43;"; break;
      case '\0': out += "\xef\xbf\xbd"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

class State {
 public:
  State(const Template::Node& set, const TemplateData& data)
      : set_(set),
        data_(data),
        env_(data),
        tmpl_name_(set.name),
        stack_base_(__builtin_frame_address(0)) {}

  std::string Run() {
    auto it = set_.trees.find(set_.name);
    Value dot;
    if (data_.notification != nullptr) {
      dot = NotifyDot(data_.notification);
    } else {
      dot.type = Type::kData;
      dot.data = &data_;
    }
    vars_.push_back({"$", dot});
    if (it == set_.trees.end() || !it->second) {
      throw ExecError{"template: " + set_.name + ": " + GoQuote(set_.name) +
                      " is an incomplete or empty template"};
    }
    Walk(dot, *it->second);
    return std::move(out_);
  }

 private:
  struct Variable {
    std::string name;
    Value value;
  };

  // Pops the variable stack back to its size at construction (Go's defer s.pop(s.mark())).
  struct VarMark {
    explicit VarMark(State& s) : s_(s), mark_(s.vars_.size()) {}
    VarMark(State& s, size_t mark) : s_(s), mark_(mark) {}
    ~VarMark() {
      if (s_.vars_.size() > mark_) s_.vars_.resize(mark_);
    }
    State& s_;
    size_t mark_;
  };
  struct NestGuard {
    explicit NestGuard(State& s) : s_(s) {
      if (++s_.nesting_ > kMaxExecNesting || StackUsed(s_.stack_base_) > kMaxStackBytes) {
        --s_.nesting_;
        s_.Errorf("nesting too deep");
      }
    }
    ~NestGuard() { --s_.nesting_; }
    State& s_;
  };

  void At(const PNode* n) { node_ = n; }

  [[noreturn]] void Errorf(const std::string& msg) {
    if (node_ == nullptr) throw ExecError{"template: " + tmpl_name_ + ": " + msg};
    // Go's Tree.ErrorContext: byte column (0-based) within the line.
    const std::string& text = *text_;
    size_t pos = std::min<size_t>(static_cast<size_t>(node_->pos), text.size());
    std::string_view before(text.data(), pos);
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
    size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    throw ExecError{"template: " + *set_name_ + ":" + std::to_string(line) + ":" +
                    std::to_string(col) + ": executing " + GoQuote(tmpl_name_) + " at <" +
                    node_->String() + ">: " + msg};
  }

  void Step() {
    if (++steps_ > data_.max_steps) {
      Errorf("execution exceeds " + std::to_string(data_.max_steps) + " steps");
    }
  }

  void Write(std::string_view s) {
    if (out_.size() + s.size() > data_.max_output_bytes) {
      Errorf("output exceeds " + std::to_string(data_.max_output_bytes) + " bytes");
    }
    out_.append(s);
  }

  // --- variables ---
  void Push(const std::string& name, Value v) { vars_.push_back({name, std::move(v)}); }
  void SetVar(const std::string& name, Value v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].name == name) {
        vars_[i].value = std::move(v);
        return;
      }
    }
    Errorf("undefined variable: " + name);
  }
  Value VarValue(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].name == name) return vars_[i].value;
    }
    Errorf("undefined variable: " + name);
  }

  // --- walk ---
  void Walk(const Value& dot, const PNode& node) {
    Step();
    NestGuard guard(*this);
    At(&node);
    switch (node.type) {
      case NodeType::kAction: {
        Value v = EvalPipeline(dot, node.pipe.get());
        if (node.pipe->decl.empty()) {
          At(&node);
          if (data_.html_escape && v.type != Type::kHtml) {
            Write(HtmlEscape(PrintableText(v)));
          } else {
            Write(PrintableText(v));
          }
        }
        break;
      }
      case NodeType::kBreak:
        throw BreakSignal{};
      case NodeType::kContinue:
        throw ContinueSignal{};
      case NodeType::kIf:
      case NodeType::kWith:
        WalkIfOrWith(node.type == NodeType::kWith, dot, node);
        break;
      case NodeType::kList:
        for (const auto& c : node.children) Walk(dot, *c);
        break;
      case NodeType::kRange:
        WalkRange(dot, node);
        break;
      case NodeType::kTemplate:
        WalkTemplate(dot, node);
        break;
      case NodeType::kText:
        Write(node.text);
        break;
      default:
        Errorf("unknown node: " + node.String());
    }
  }

  void WalkIfOrWith(bool with, const Value& dot, const PNode& node) {
    VarMark mark(*this);
    Value val = EvalPipeline(dot, node.pipe.get());
    if (IsTrue(val)) {
      Walk(with ? val : dot, *node.list);
    } else if (node.else_list) {
      Walk(dot, *node.else_list);
    }
  }

  void WalkRange(const Value& dot, const PNode& r) {
    At(&r);
    try {
      VarMark outer(*this);
      Value val = EvalPipeline(dot, r.pipe.get());
      const size_t mark = vars_.size();
      const auto& decl = r.pipe->decl;
      auto one = [&](Value index, Value elem) {
        Step();
        if (r.pipe->is_assign) {
          // Go 1.21 semantics for {{range $i, $e = ...}}: assign by name.
          if (decl.size() == 1) SetVar(decl[0]->idents[0], elem);
          if (decl.size() > 1) {
            SetVar(decl[0]->idents[0], index);
            SetVar(decl[1]->idents[0], elem);
          }
        } else {
          if (!decl.empty()) vars_[vars_.size() - 1].value = elem;
          if (decl.size() > 1) vars_[vars_.size() - 2].value = index;
        }
        VarMark pop(*this, mark);
        try {
          Walk(elem, *r.list);
        } catch (const ContinueSignal&) {
        }
      };
      bool iterated = false;
      switch (val.type) {
        case Type::kQueryResult:
          if (val.list && !val.list->empty()) {
            const SampleList items = *val.list;  // sortByLabel in the body must not disturb us
            for (size_t i = 0; i < items.size(); ++i) {
              Value e;
              e.type = Type::kSample;
              e.sample = items[i];
              one(Value::Int(static_cast<int64_t>(i)), std::move(e));
            }
            iterated = true;
          }
          break;
        case Type::kStringMap:
          if (val.labels && !val.labels->empty()) {
            for (const auto& [k, v] : *val.labels) one(Value::String(k), Value::String(v));
            iterated = true;
          }
          break;
        case Type::kAnyMap:
          if (val.any && !val.any->empty()) {
            for (const auto& [k, v] : *val.any) one(Value::String(k), v);
            iterated = true;
          }
          break;
        case Type::kInvalid:
          break;  // like a nil map
        case Type::kNotifyData:
        case Type::kAlert:
        case Type::kPair:
          At(&r);
          Errorf("range can't iterate over " + GoPrintIndirect(val));
        case Type::kAlerts:
        case Type::kAlertSlice:
        case Type::kKV:
        case Type::kPairs:
        case Type::kStringSlice: {
          std::vector<std::pair<Value, Value>> items;
          NotifyElements(val, &items);
          for (auto& [k, e] : items) one(std::move(k), std::move(e));
          iterated = !items.empty();
          break;
        }
        default:
          At(&r);
          Errorf("range can't iterate over " + GoPrintIndirect(val));
      }
      if (iterated) return;
      if (r.else_list) Walk(dot, *r.else_list);
    } catch (const BreakSignal&) {
    }
  }

  void WalkTemplate(const Value& dot, const PNode& t) {
    At(&t);
    const PNode* tree = nullptr;
    const Template::Node* owner = &set_;
    auto it = set_.trees.find(t.text);
    if (it != set_.trees.end() && it->second) {
      tree = it->second.get();
    } else if (data_.library != nullptr) {
      tree = static_cast<const PNode*>(data_.library->FindDefinition(t.text, &owner));
    }
    if (tree == nullptr) Errorf("template " + GoQuote(t.text) + " not defined");
    if (depth_ >= kMaxTemplateDepth) {
      Errorf("exceeded maximum template depth (" + std::to_string(kMaxTemplateDepth) + ")");
    }
    Value new_dot = EvalPipeline(dot, t.pipe.get());  // declared variables persist
    // A new state: no dynamic scoping, the callee sees only $.
    std::vector<Variable> saved_vars;
    saved_vars.swap(vars_);
    vars_.push_back({"$", new_dot});
    std::string saved_name = std::exchange(tmpl_name_, t.text);
    const PNode* saved_node = node_;
    const std::string* saved_text = std::exchange(text_, &owner->text);
    const std::string* saved_set_name = std::exchange(set_name_, &owner->name);
    ++depth_;
    struct Restore {
      State& s;
      std::vector<Variable>& vars;
      std::string& name;
      const PNode* node;
      const std::string* text;
      const std::string* set_name;
      ~Restore() {
        s.vars_.swap(vars);
        s.tmpl_name_.swap(name);
        s.node_ = node;
        s.text_ = text;
        s.set_name_ = set_name;
        --s.depth_;
      }
    } restore{*this, saved_vars, saved_name, saved_node, saved_text, saved_set_name};
    Walk(new_dot, *tree);
  }

  // --- evaluation ---
  Value EvalPipeline(const Value& dot, const PNode* pipe) {
    if (pipe == nullptr) return {};
    NestGuard guard(*this);
    At(pipe);
    std::optional<Value> value;  // nullopt: Go's missingVal
    for (const auto& cmd : pipe->children) value = EvalCommand(dot, *cmd, value);
    Value v = value ? std::move(*value) : Value{};
    for (const auto& d : pipe->decl) {
      if (pipe->is_assign) {
        SetVar(d->idents[0], v);
      } else {
        Push(d->idents[0], v);
      }
    }
    return v;
  }

  void NotAFunction(const Args& args, const std::optional<Value>& final) {
    if (args.size() > 1 || final)
      Errorf("can't give argument to non-function " + args[0]->String());
  }

  static Args ArgsOf(const PNode& cmd) {
    Args a;
    a.reserve(cmd.children.size());
    for (const auto& c : cmd.children) a.push_back(c.get());
    return a;
  }

  Value EvalCommand(const Value& dot, const PNode& cmd, const std::optional<Value>& final) {
    Step();
    const PNode& first = *cmd.children[0];
    switch (first.type) {
      case NodeType::kField:
        return EvalFieldNode(dot, first, ArgsOf(cmd), final);
      case NodeType::kChain:
        return EvalChainNode(dot, first, ArgsOf(cmd), final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, cmd, ArgsOf(cmd), final);
      case NodeType::kPipe:
        NotAFunction(ArgsOf(cmd), final);
        return EvalPipeline(dot, &first);
      case NodeType::kVariable:
        return EvalVariableNode(dot, first, ArgsOf(cmd), final);
      default:
        break;
    }
    At(&first);
    NotAFunction(ArgsOf(cmd), final);
    switch (first.type) {
      case NodeType::kBool:
        return Value::Bool(first.boolean);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        Errorf("nil is not a command");
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return Value::String(first.str);
      default:
        break;
    }
    Errorf("can't evaluate command " + GoQuote(first.String()));
  }

  // A number whose type only its syntax tells: float64 when it looks like one, else int.
  Value IdealConstant(const PNode& c) {
    At(&c);
    if (c.is_float && !c.is_hex_int && !c.is_rune &&
        c.text.find_first_of(".eEpP") != std::string::npos) {
      return Value::Float(c.float_val);
    }
    if (c.is_int) return Value::Int(c.int_val);
    if (c.is_uint) Errorf(c.text + " overflows int");
    return {};
  }

  Value EvalFieldNode(const Value& dot, const PNode& field, const Args& args,
                      const std::optional<Value>& final) {
    At(&field);
    return EvalFieldChain(dot, dot, field, field.idents, 0, args, final);
  }

  Value EvalChainNode(const Value& dot, const PNode& chain, const Args& args,
                      const std::optional<Value>& final) {
    At(&chain);
    if (chain.pipe->type == NodeType::kNil)
      Errorf("indirection through explicit nil in " + chain.String());
    Value pipe = EvalArg(dot, Param::kNone, *chain.pipe);
    return EvalFieldChain(dot, pipe, chain, chain.idents, 0, args, final);
  }

  Value EvalVariableNode(const Value& dot, const PNode& var, const Args& args,
                         const std::optional<Value>& final) {
    At(&var);
    Value value = VarValue(var.idents[0]);
    if (var.idents.size() == 1) {
      NotAFunction(args, final);
      return value;
    }
    return EvalFieldChain(dot, value, var, var.idents, 1, args, final);
  }

  Value EvalFieldChain(const Value& dot, Value receiver, const PNode& node,
                       const std::vector<std::string>& ident, size_t from, const Args& args,
                       const std::optional<Value>& final) {
    const size_t n = ident.size();
    for (size_t i = from; i + 1 < n; ++i) {
      receiver = EvalField(dot, ident[i], node, {}, std::nullopt, receiver);
    }
    return EvalField(dot, ident[n - 1], node, args, final, receiver);
  }

  Value EvalField(const Value& dot, const std::string& name, const PNode& node, const Args& args,
                  const std::optional<Value>& final, const Value& receiver) {
    if (!receiver.valid()) return {};  // missingkey=zero: a missing value stays missing
    const std::string typ = GoTypeName(receiver);
    if (receiver.type == Type::kTime || receiver.type == Type::kTimePtr) {
      if (const FuncDef* m = FindTimeMethod(name))
        return EvalCall(dot, *m, receiver, node, name, args, final);
    }
    const bool has_args = args.size() > 1 || final;
    if (const FuncDef* m = FindNotifyMethod(receiver, name))
      return EvalCall(dot, *m, receiver, node, name, args, final);
    {
      Value v;
      if (NotifyField(receiver, name, &v)) {
        if (has_args) Errorf(name + " has arguments but cannot be invoked as function");
        return v;
      }
    }
    switch (receiver.type) {
      case Type::kData: {
        bool found = false;
        Value v = DataField(*receiver.data, name, &found);
        if (found) {
          if (has_args) Errorf(name + " has arguments but cannot be invoked as function");
          return v;
        }
        break;
      }
      case Type::kSample:
        if (name == "Labels" || name == "Value") {
          if (!receiver.sample) Errorf("nil pointer evaluating " + typ + "." + name);
          if (has_args) Errorf(name + " has arguments but cannot be invoked as function");
          if (name == "Value") return Value::Float(receiver.sample->value);
          Value m;
          m.type = Type::kStringMap;
          m.labels = std::shared_ptr<const LabelSet>(receiver.sample, &receiver.sample->labels);
          return m;
        }
        break;
      case Type::kStringMap:
      case Type::kKV: {
        if (has_args) Errorf(name + " is not a method but has arguments");
        if (receiver.labels) {
          for (const auto& [k, v] : *receiver.labels) {
            if (k == name) return Value::String(v);
          }
        }
        return Value::String("");  // the zero value of string
      }
      case Type::kAnyMap: {
        if (has_args) Errorf(name + " is not a method but has arguments");
        if (receiver.any) {
          for (const auto& [k, v] : *receiver.any) {
            if (k == name) return v;
          }
        }
        return {};  // the zero value of interface {}
      }
      default:
        break;
    }
    Errorf("can't evaluate field " + name + " in type " + typ);
  }

  Value EvalFunction(const Value& dot, const PNode& node, const PNode& cmd, const Args& args,
                     const std::optional<Value>& final) {
    At(&node);
    const FuncDef* fn = FindTemplateFunction(node.text, data_.notification != nullptr);
    if (fn == nullptr) Errorf(GoQuote(node.text) + " is not a defined function");
    return EvalCall(dot, *fn, Value{}, cmd, node.text, args, final);
  }

  Value EvalCall(const Value& dot, const FuncDef& fn, const Value& receiver, const PNode& node,
                 const std::string& name, const Args& all_args, const std::optional<Value>& final) {
    Args args;
    if (!all_args.empty()) args.assign(all_args.begin() + 1, all_args.end());
    const size_t num_params = fn.params.size();
    size_t num_in = args.size() + (final ? 1 : 0);
    size_t num_fixed = args.size();
    if (fn.variadic) {
      num_fixed = num_params - 1;
      if (num_in < num_fixed) {
        Errorf("wrong number of args for " + name + ": want at least " +
               std::to_string(num_params - 1) + " got " + std::to_string(args.size()));
      }
    } else if (num_in != num_params) {
      Errorf("wrong number of args for " + name + ": want " + std::to_string(num_params) + " got " +
             std::to_string(num_in));
    }
    if (fn.builtin && (name == "and" || name == "or")) {
      // and / or short-circuit (Go 1.18+).
      Value v;
      for (const PNode* a : args) {
        v = EvalArg(dot, Param::kValue, *a);
        if (IsTrue(v) == (name == "or")) return v;
      }
      if (final) v = ValidateType(*final, Param::kValue);
      return v;
    }
    std::vector<Value> argv;
    argv.reserve(num_in);
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i)
      argv.push_back(EvalArg(dot, fn.params[i], *args[i]));
    if (fn.variadic) {
      for (; i < args.size(); ++i) argv.push_back(EvalArg(dot, fn.params.back(), *args[i]));
    }
    if (final) {
      Param t = fn.params.back();
      if (fn.variadic && num_in - 1 < num_fixed) t = fn.params[num_in - 1];
      argv.push_back(ValidateType(*final, t));
    }
    try {
      return fn.impl(env_, receiver, argv);
    } catch (const FuncError& e) {
      At(&node);
      Errorf("error calling " + name + ": " + e.message);
    }
  }

  Value ValidateType(const Value& value, Param typ) {
    if (!value.valid()) {
      if (typ == Param::kNone) return value;
      if (ParamCanBeNil(typ)) return NilOf(typ);
      Errorf("invalid value; expected " + ParamTypeName(typ));
    }
    bool ok = false;
    switch (typ) {
      case Param::kNone:
      case Param::kAny:
      case Param::kValue:
        ok = true;
        break;
      case Param::kString:
        ok = value.type == Type::kString;
        break;
      case Param::kSample:
        ok = value.type == Type::kSample;
        break;
      case Param::kQueryResult:
        ok = value.type == Type::kQueryResult;
        break;
      case Param::kStringSlice:
        ok = value.type == Type::kStringSlice;
        break;
    }
    if (!ok) {
      Errorf("wrong type for value; expected " + ParamTypeName(typ) + "; got " + GoTypeName(value));
    }
    return value;
  }

  static Value NilOf(Param typ) {
    Value v;
    if (typ == Param::kSample) v.type = Type::kSample;
    if (typ == Param::kQueryResult) v.type = Type::kQueryResult;
    if (typ == Param::kStringSlice) v.type = Type::kStringSlice;
    return v;
  }

  Value EvalArg(const Value& dot, Param typ, const PNode& n) {
    NestGuard guard(*this);
    At(&n);
    switch (n.type) {
      case NodeType::kDot:
        return ValidateType(dot, typ);
      case NodeType::kNil:
        if (ParamCanBeNil(typ)) return NilOf(typ);
        Errorf("cannot assign nil to " + ParamTypeName(typ));
      case NodeType::kField:
        return ValidateType(EvalFieldNode(dot, n, Args{&n}, std::nullopt), typ);
      case NodeType::kVariable:
        return ValidateType(EvalVariableNode(dot, n, {}, std::nullopt), typ);
      case NodeType::kPipe:
        return ValidateType(EvalPipeline(dot, &n), typ);
      case NodeType::kIdentifier:
        return ValidateType(EvalFunction(dot, n, n, {}, std::nullopt), typ);
      case NodeType::kChain:
        return ValidateType(EvalChainNode(dot, n, {}, std::nullopt), typ);
      default:
        break;
    }
    switch (typ) {
      case Param::kString:
        if (n.type == NodeType::kString) return Value::String(n.str);
        Errorf("expected string; found " + n.String());
      case Param::kAny:
      case Param::kValue:
        return EvalEmptyInterface(dot, n);
      default:
        break;
    }
    Errorf("can't handle " + n.String() + " for arg of type " + ParamTypeName(typ));
  }

  Value EvalEmptyInterface(const Value& dot, const PNode& n) {
    At(&n);
    switch (n.type) {
      case NodeType::kBool:
        return Value::Bool(n.boolean);
      case NodeType::kNumber:
        return IdealConstant(n);
      case NodeType::kString:
        return Value::String(n.str);
      default:
        break;
    }
    Errorf("can't handle assignment of " + n.String() + " to empty interface argument");
  }

  const Template::Node& set_;
  const TemplateData& data_;
  const std::string* text_ = &set_.text;      // the text of the tree being executed
  const std::string* set_name_ = &set_.name;  // and its set's name
  FuncEnv env_;
  std::string out_;
  const PNode* node_ = nullptr;
  std::string tmpl_name_;
  std::vector<Variable> vars_;
  int depth_ = 0;
  int nesting_ = 0;
  uint64_t steps_ = 0;
  const void* stack_base_;
};

}  // namespace

std::string ExecuteSet(const Template::Node& set, const TemplateData& data) {
  State s(set, data);
  return s.Run();
}

namespace {
std::string PrintableText(const Value& v) {
  if (!v.valid()) return "<no value>";
  return GoPrintIndirect(v);
}
}  // namespace

}  // namespace perfwatch::alert::tmpl
