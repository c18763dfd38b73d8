// The parser of Go's text/template (Go 1.19, as Prometheus 2.42 was built): tokens from
// template_lex.cc into the tree in template_internal.h, with Go's node positions and
// error messages, and the tree printed back as Go's Node.String() does.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "alert/template_funcs.h"
#include "alert/template_internal.h"
#include "alert/template_parse_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// ---------------------------------------------------------------------------------------
// Parser

using NodePtr = std::unique_ptr<PNode>;

NodePtr MakeNode(NodeType t, int pos, int line = 0) {
  auto n = std::make_unique<PNode>();
  n->type = t;
  n->pos = pos;
  n->line = line;
  return n;
}

// Go's parse.IsEmptyTree.
bool IsEmptyTree(const PNode* n) {
  if (n == nullptr) return true;
  switch (n->type) {
    case NodeType::kList:
      for (const auto& c : n->children) {
        if (!IsEmptyTree(c.get())) return false;
      }
      return true;
    case NodeType::kText:
      return n->text.find_first_not_of(" \t\r\n") == std::string::npos;
    default:
      return false;
  }
}

class Parser;

// One parse.Tree: the main template or a {{define}} / {{block}} body.
class TreeParser {
 public:
  TreeParser(Parser& p, std::string name) : p_(p), name_(std::move(name)) {}
  NodePtr ParseMain();
  void ParseDefinition();  // after {{define
  NodePtr BlockBody(int* end_pos);

  const std::string& name() const { return name_; }

 private:
  friend class Parser;
  const Token& Next();
  void Backup();
  const Token& Peek();
  const Token& NextNonSpace();
  const Token& PeekNonSpace();
  [[noreturn]] void Errorf(const std::string& msg);
  [[noreturn]] void Unexpected(const Token& t, std::string_view context);
  const Token& Expect(Item expected, std::string_view context);

  std::pair<NodePtr, NodePtr> ItemList();  // list, and the {{end}} / {{else}} that ended it
  NodePtr TextOrAction();
  NodePtr Action();
  NodePtr Pipeline(std::string_view context, Item end);
  void CheckPipeline(const PNode& pipe, std::string_view context);
  NodePtr Command();
  NodePtr Operand();
  NodePtr Term();
  NodePtr Control(NodeType type, bool allow_else_if, std::string_view context);
  NodePtr TemplateControl();
  NodePtr BlockControl();
  NodePtr BreakOrContinue(NodeType type, const Token& tok);
  NodePtr ElseControl();
  NodePtr EndControl();
  NodePtr UseVar(int pos, const std::string& name);
  NodePtr NewNumber(const Token& t);
  std::string TemplateName(const Token& t, std::string_view context);
  void Add(NodePtr root);

  struct DepthGuard {
    DepthGuard(TreeParser& t, const char* msg);
    ~DepthGuard() { --t_.depth_; }
    TreeParser& t_;
  };

  Parser& p_;
  std::string name_;
  std::vector<std::string> vars_{"$"};
  int range_depth_ = 0;
  int action_line_ = 0;
  int depth_ = 0;
};

class Parser {
 public:
  Parser(std::string_view name, std::string_view text, bool notification)
      : name_(name),
        text_(text),
        tokens_(Lex(text)),
        stack_base_(__builtin_frame_address(0)),
        notification_(notification) {}

  std::shared_ptr<Template::Node> Run() {
    set_ = std::make_shared<Template::Node>();
    set_->name = name_;
    set_->text = std::string(text_);
    TreeParser main(*this, name_);
    NodePtr root = main.ParseMain();
    main.Add(std::move(root));
    return std::move(set_);
  }

 private:
  friend class TreeParser;
  std::string name_;
  std::string_view text_;
  std::vector<Token> tokens_;
  size_t idx_ = 0;       // next token to read
  size_t furthest_ = 0;  // tokens read so far (Go's token[0] is the last of them)
  std::shared_ptr<Template::Node> set_;
  const void* stack_base_;
  bool notification_;
};

TreeParser::DepthGuard::DepthGuard(TreeParser& t, const char* msg) : t_(t) {
  if (++t_.depth_ > kMaxParseDepth || StackUsed(t_.p_.stack_base_) > kMaxStackBytes) {
    --t_.depth_;
    t_.Errorf(msg);
  }
}

const Token& TreeParser::Next() {
  size_t i = std::min(p_.idx_, p_.tokens_.size() - 1);
  if (p_.idx_ < p_.tokens_.size()) ++p_.idx_;
  p_.furthest_ = std::max(p_.furthest_, p_.idx_);
  return p_.tokens_[i];
}
void TreeParser::Backup() { --p_.idx_; }
const Token& TreeParser::Peek() {
  const Token& t = Next();
  Backup();
  return t;
}
const Token& TreeParser::NextNonSpace() {
  for (;;) {
    const Token& t = Next();
    if (t.typ != Item::kSpace) return t;
  }
}
const Token& TreeParser::PeekNonSpace() {
  const Token& t = NextNonSpace();
  Backup();
  return t;
}

void TreeParser::Errorf(const std::string& msg) {
  size_t last = p_.furthest_ == 0 ? 0 : p_.furthest_ - 1;
  int line = p_.tokens_[std::min(last, p_.tokens_.size() - 1)].line;
  throw ParseError{"template: " + p_.name_ + ":" + std::to_string(line) + ": " + msg};
}

void TreeParser::Unexpected(const Token& t, std::string_view context) {
  if (t.typ == Item::kError) {
    std::string extra;
    if (action_line_ != 0 && action_line_ != t.line) {
      extra = " in action started at " + p_.name_ + ":" + std::to_string(action_line_);
      if (t.val.ends_with(" action")) extra = extra.substr(std::strlen(" in action"));
    }
    Errorf(t.val + extra);
  }
  Errorf("unexpected " + TokenString(t) + " in " + std::string(context));
}

const Token& TreeParser::Expect(Item expected, std::string_view context) {
  const Token& t = NextNonSpace();
  if (t.typ != expected) Unexpected(t, context);
  return t;
}

void TreeParser::Add(NodePtr root) {
  auto& trees = p_.set_->trees;
  auto it = trees.find(name_);
  if (it == trees.end() || IsEmptyTree(it->second.get())) {
    trees[name_] = std::move(root);
    return;
  }
  if (!IsEmptyTree(root.get()))
    Errorf("template: multiple definition of template " + GoQuote(name_));
}

NodePtr TreeParser::ParseMain() {
  NodePtr root = MakeNode(NodeType::kList, Peek().pos);
  while (Peek().typ != Item::kEOF) {
    if (Peek().typ == Item::kLeftDelim) {
      Next();
      if (NextNonSpace().typ == Item::kDefine) {
        TreeParser def(p_, "definition");
        def.ParseDefinition();
        continue;
      }
      // Back up to the delimiter (Go's backup2).
      while (p_.tokens_[p_.idx_ - 1].typ != Item::kLeftDelim) --p_.idx_;
      --p_.idx_;
    }
    NodePtr n = TextOrAction();
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
      Errorf("unexpected " + n->String());
    }
    root->children.push_back(std::move(n));
  }
  return root;
}

void TreeParser::ParseDefinition() {
  constexpr std::string_view kContext = "define clause";
  const Token& name = NextNonSpace();
  if (name.typ != Item::kString && name.typ != Item::kRawString) Unexpected(name, kContext);
  if (!Unquote(name.val, &name_)) Errorf("invalid syntax");
  Expect(Item::kRightDelim, kContext);
  auto [root, end] = ItemList();
  if (end->type != NodeType::kEnd)
    Errorf("unexpected " + end->String() + " in " + std::string(kContext));
  Add(std::move(root));
}

std::pair<NodePtr, NodePtr> TreeParser::ItemList() {
  NodePtr list = MakeNode(NodeType::kList, PeekNonSpace().pos);
  while (PeekNonSpace().typ != Item::kEOF) {
    NodePtr n = TextOrAction();
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse)
      return {std::move(list), std::move(n)};
    list->children.push_back(std::move(n));
  }
  Errorf("unexpected EOF");
}

NodePtr TreeParser::TextOrAction() {
  const Token& t = NextNonSpace();
  switch (t.typ) {
    case Item::kText: {
      NodePtr n = MakeNode(NodeType::kText, t.pos);
      n->text = t.val;
      return n;
    }
    case Item::kLeftDelim: {
      action_line_ = t.line;
      NodePtr n = Action();
      action_line_ = 0;
      return n;
    }
    default:
      Unexpected(t, "input");
  }
}

NodePtr TreeParser::Action() {
  const Token& t = NextNonSpace();
  switch (t.typ) {
    case Item::kBlock:
      return BlockControl();
    case Item::kBreak:
      return BreakOrContinue(NodeType::kBreak, t);
    case Item::kContinue:
      return BreakOrContinue(NodeType::kContinue, t);
    case Item::kElse:
      return ElseControl();
    case Item::kEnd:
      return EndControl();
    case Item::kIf:
      return Control(NodeType::kIf, true, "if");
    case Item::kRange:
      return Control(NodeType::kRange, false, "range");
    case Item::kTemplate:
      return TemplateControl();
    case Item::kWith:
      return Control(NodeType::kWith, false, "with");
    default:
      break;
  }
  Backup();
  const Token& first = Peek();
  NodePtr n = MakeNode(NodeType::kAction, first.pos, first.line);
  n->pipe = Pipeline("command", Item::kRightDelim);
  return n;
}

NodePtr TreeParser::BreakOrContinue(NodeType type, const Token& tok) {
  const char* word = type == NodeType::kBreak ? "{{break}}" : "{{continue}}";
  int pos = tok.pos, line = tok.line;
  const Token& t = NextNonSpace();
  if (t.typ != Item::kRightDelim) Unexpected(t, word);
  if (range_depth_ == 0) Errorf(std::string(word) + " outside {{range}}");
  return MakeNode(type, pos, line);
}

NodePtr TreeParser::ElseControl() {
  const Token& peek = PeekNonSpace();
  if (peek.typ == Item::kIf) return MakeNode(NodeType::kElse, peek.pos, peek.line);  // "else if"
  const Token& t = Expect(Item::kRightDelim, "else");
  return MakeNode(NodeType::kElse, t.pos, t.line);
}

NodePtr TreeParser::EndControl() {
  const Token& t = Expect(Item::kRightDelim, "end");
  return MakeNode(NodeType::kEnd, t.pos);
}

NodePtr TreeParser::Control(NodeType type, bool allow_else_if, std::string_view context) {
  DepthGuard guard(*this, "max control nesting depth exceeded");
  size_t mark = vars_.size();
  NodePtr pipe = Pipeline(context, Item::kRightDelim);
  if (type == NodeType::kRange) ++range_depth_;
  auto [list, next] = ItemList();
  if (type == NodeType::kRange) --range_depth_;
  NodePtr else_list;
  if (next->type == NodeType::kElse) {
    if (allow_else_if && Peek().typ == Item::kIf) {
      // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
      Next();
      else_list = MakeNode(NodeType::kList, next->pos);
      else_list->children.push_back(Control(NodeType::kIf, true, "if"));
    } else {
      auto [l, end] = ItemList();
      if (end->type != NodeType::kEnd) Errorf("expected end; found " + end->String());
      else_list = std::move(l);
    }
  }
  vars_.resize(mark);
  NodePtr n = MakeNode(type, pipe->pos, pipe->line);
  n->pipe = std::move(pipe);
  n->list = std::move(list);
  n->else_list = std::move(else_list);
  return n;
}

std::string TreeParser::TemplateName(const Token& t, std::string_view context) {
  if (t.typ != Item::kString && t.typ != Item::kRawString) Unexpected(t, context);
  std::string s;
  if (!Unquote(t.val, &s)) Errorf("invalid syntax");
  return s;
}

NodePtr TreeParser::TemplateControl() {
  constexpr std::string_view kContext = "template clause";
  const Token& t = NextNonSpace();
  int pos = t.pos, line = t.line;
  std::string name = TemplateName(t, kContext);
  NodePtr pipe;
  if (NextNonSpace().typ != Item::kRightDelim) {
    Backup();
    pipe = Pipeline(kContext, Item::kRightDelim);
  }
  NodePtr n = MakeNode(NodeType::kTemplate, pos, line);
  n->text = std::move(name);
  n->pipe = std::move(pipe);
  return n;
}

NodePtr TreeParser::BlockControl() {
  constexpr std::string_view kContext = "block clause";
  DepthGuard guard(*this, "max control nesting depth exceeded");
  const Token& t = NextNonSpace();
  int pos = t.pos, line = t.line;
  std::string name = TemplateName(t, kContext);
  NodePtr pipe = Pipeline(kContext, Item::kRightDelim);
  TreeParser block(p_, name);
  block.depth_ = depth_;
  auto [root, end] = block.ItemList();
  if (end->type != NodeType::kEnd)
    Errorf("unexpected " + end->String() + " in " + std::string(kContext));
  block.Add(std::move(root));
  NodePtr n = MakeNode(NodeType::kTemplate, pos, line);
  n->text = std::move(name);
  n->pipe = std::move(pipe);
  return n;
}

NodePtr TreeParser::Pipeline(std::string_view context, Item end) {
  const Token& first = PeekNonSpace();
  NodePtr pipe = MakeNode(NodeType::kPipe, first.pos, first.line);
  // Declarations or assignments: "$x :=", "$x =", "$i, $e :=" (range only).
  for (;;) {
    const Token& v = PeekNonSpace();
    if (v.typ != Item::kVariable) break;
    NextNonSpace();
    const size_t var_idx = p_.idx_ - 1;
    const Token& nx = PeekNonSpace();
    const Token& var = p_.tokens_[var_idx];
    if (nx.typ == Item::kAssign || nx.typ == Item::kDeclare) {
      pipe->is_assign = nx.typ == Item::kAssign;
      NextNonSpace();
      NodePtr d = MakeNode(NodeType::kVariable, var.pos);
      d->idents = {var.val};
      pipe->decl.push_back(std::move(d));
      vars_.push_back(var.val);
      break;
    }
    if (nx.typ == Item::kChar && nx.val == ",") {
      NextNonSpace();
      NodePtr d = MakeNode(NodeType::kVariable, var.pos);
      d->idents = {var.val};
      pipe->decl.push_back(std::move(d));
      vars_.push_back(var.val);
      if (context == "range" && pipe->decl.size() < 2) {
        Item k = PeekNonSpace().typ;
        if (k == Item::kVariable || k == Item::kRightDelim || k == Item::kRightParen) continue;
        Errorf("range can only initialize variables");
      }
      Errorf("too many declarations in " + std::string(context));
    }
    // Not a declaration: back up to the variable.
    p_.idx_ = var_idx;
    break;
  }
  for (;;) {
    const Token& t = NextNonSpace();
    if (t.typ == end) {
      CheckPipeline(*pipe, context);
      return pipe;
    }
    switch (t.typ) {
      case Item::kBool:
      case Item::kCharConstant:
      case Item::kComplex:
      case Item::kDot:
      case Item::kField:
      case Item::kIdentifier:
      case Item::kNumber:
      case Item::kNil:
      case Item::kRawString:
      case Item::kString:
      case Item::kVariable:
      case Item::kLeftParen:
        Backup();
        pipe->children.push_back(Command());
        break;
      default:
        Unexpected(t, context);
    }
  }
}

void TreeParser::CheckPipeline(const PNode& pipe, std::string_view context) {
  if (pipe.children.empty()) Errorf("missing value for " + std::string(context));
  for (size_t i = 1; i < pipe.children.size(); ++i) {
    switch (pipe.children[i]->children[0]->type) {
      case NodeType::kBool:
      case NodeType::kDot:
      case NodeType::kNil:
      case NodeType::kNumber:
      case NodeType::kString:
        Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
      default:
        break;
    }
  }
}

NodePtr TreeParser::Command() {
  NodePtr cmd = MakeNode(NodeType::kCommand, PeekNonSpace().pos);
  for (;;) {
    PeekNonSpace();
    NodePtr operand = Operand();
    if (operand) cmd->children.push_back(std::move(operand));
    const Token& t = Next();
    if (t.typ == Item::kSpace) continue;
    if (t.typ == Item::kRightDelim || t.typ == Item::kRightParen) {
      Backup();
    } else if (t.typ != Item::kPipe) {
      Unexpected(t, "operand");
    }
    break;
  }
  if (cmd->children.empty()) Errorf("empty command");
  return cmd;
}

NodePtr TreeParser::Operand() {
  NodePtr node = Term();
  if (!node) return nullptr;
  if (Peek().typ == Item::kField) {
    NodePtr chain = MakeNode(NodeType::kChain, Peek().pos);
    while (Peek().typ == Item::kField) chain->idents.push_back(Next().val.substr(1));
    switch (node->type) {
      case NodeType::kField: {
        // .A.B: more fields on the original.
        NodePtr f = MakeNode(NodeType::kField, chain->pos);
        f->idents = node->idents;
        f->idents.insert(f->idents.end(), chain->idents.begin(), chain->idents.end());
        return f;
      }
      case NodeType::kVariable: {
        NodePtr v = MakeNode(NodeType::kVariable, chain->pos);
        v->idents = node->idents;
        v->idents.insert(v->idents.end(), chain->idents.begin(), chain->idents.end());
        return v;
      }
      case NodeType::kBool:
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kNil:
      case NodeType::kDot:
        Errorf("unexpected . after term " + GoQuote(node->String()));
      default:
        chain->pipe = std::move(node);
        return chain;
    }
  }
  return node;
}

NodePtr TreeParser::Term() {
  const Token& t = NextNonSpace();
  switch (t.typ) {
    case Item::kIdentifier: {
      if (!HasTemplateFunction(t.val, p_.notification_)) Errorf("function " + GoQuote(t.val) + " not defined");
      NodePtr n = MakeNode(NodeType::kIdentifier, t.pos);
      n->text = t.val;
      return n;
    }
    case Item::kDot:
      return MakeNode(NodeType::kDot, t.pos);
    case Item::kNil:
      return MakeNode(NodeType::kNil, t.pos);
    case Item::kVariable:
      return UseVar(t.pos, t.val);
    case Item::kField: {
      NodePtr n = MakeNode(NodeType::kField, t.pos);
      std::string_view s = t.val;
      s.remove_prefix(1);
      while (!s.empty()) {
        size_t dot = s.find('.');
        n->idents.emplace_back(s.substr(0, dot));
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
      }
      return n;
    }
    case Item::kBool: {
      NodePtr n = MakeNode(NodeType::kBool, t.pos);
      n->boolean = t.val == "true";
      return n;
    }
    case Item::kCharConstant:
    case Item::kComplex:
    case Item::kNumber:
      return NewNumber(t);
    case Item::kLeftParen: {
      DepthGuard guard(*this, "max expression depth exceeded");
      return Pipeline("parenthesized pipeline", Item::kRightParen);
    }
    case Item::kString:
    case Item::kRawString: {
      NodePtr n = MakeNode(NodeType::kString, t.pos);
      if (!Unquote(t.val, &n->str)) Errorf("invalid syntax");
      n->text = t.val;
      return n;
    }
    default:
      Backup();
      return nullptr;
  }
}

NodePtr TreeParser::UseVar(int pos, const std::string& name) {
  NodePtr v = MakeNode(NodeType::kVariable, pos);
  // "$x" as one identifier; fields come as separate items.
  v->idents.push_back(name);
  if (std::find(vars_.begin(), vars_.end(), name) == vars_.end()) {
    Errorf("undefined variable " + GoQuote(name));
  }
  return v;
}

NodePtr TreeParser::NewNumber(const Token& t) {
  NodePtr n = MakeNode(NodeType::kNumber, t.pos);
  n->text = t.val;
  const std::string& text = t.val;
  if (t.typ == Item::kCharConstant) {
    size_t i = 1;
    int32_t r = 0;
    bool is_byte = false;
    if (text.size() < 3 || !UnquoteChar(text, &i, '\'', &r, &is_byte)) Errorf("invalid syntax");
    if (text.substr(i) != "'") Errorf("malformed character constant: " + text);
    n->is_int = n->is_uint = n->is_float = n->is_rune = true;
    n->int_val = r;
    n->uint_val = static_cast<uint64_t>(r);
    n->float_val = r;
    return n;
  }
  if (t.typ == Item::kComplex || (!text.empty() && text.back() == 'i')) {
    // Complex constants parse in Go but print as complex128; not supported here.
    Errorf("complex constant " + text + " is not supported");
  }
  uint64_t u = 0;
  if (ParseUintBase0(text, &u)) {
    n->is_uint = true;
    n->uint_val = u;
  }
  int64_t i = 0;
  if (ParseIntBase0(text, &i)) {
    n->is_int = true;
    n->int_val = i;
    if (i == 0) {
      n->is_uint = true;
      n->uint_val = u;
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->float_val = static_cast<double>(n->int_val);
  } else if (n->is_uint) {
    n->is_float = true;
    n->float_val = static_cast<double>(n->uint_val);
  } else {
    double f = 0;
    std::string err;
    std::string clean;
    if (StripUnderscores(text, &clean) && GoParseFloat(clean, &f, &err)) {
      if (text.find_first_of(".eEpP") == std::string::npos) {
        Errorf("integer overflow: " + GoQuote(text));
      }
      n->is_float = true;
      n->float_val = f;
      if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 &&
          static_cast<double>(static_cast<int64_t>(f)) == f) {
        n->is_int = true;
        n->int_val = static_cast<int64_t>(f);
      }
      if (f >= 0 && f < 1.8446744073709552e19 &&
          static_cast<double>(static_cast<uint64_t>(f)) == f) {
        n->is_uint = true;
        n->uint_val = static_cast<uint64_t>(f);
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float) Errorf("illegal number syntax: " + GoQuote(text));
  n->is_hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                  text.find_first_of("pP") == std::string::npos;
  return n;
}

}  // namespace

std::shared_ptr<const Template::Node> ParseSet(std::string_view name, std::string_view text,
                                               bool notification) {
  Parser p(name, text, notification);
  return p.Run();
}

}  // namespace perfwatch::alert::tmpl
