//! `#[paged]`: the Relay page arguments of a connection field, written once.
//!
//! async-graphql has no way to flatten a struct into a field's arguments
//! (async-graphql#1514), so every connection field would otherwise list `first`,
//! `after`, `last` and `before` and the list-size cost directive by hand. Put `#[paged]`
//! above `#[Object]`; in every method of the block, a parameter typed `PageArgs`
//!
//! ```ignore
//! #[paged]
//! #[Object]
//! impl OrdersQuery {
//!     #[graphql(guard = "Authenticated")]
//!     async fn orders(&self, ctx: &Context<'_>, page: PageArgs) -> AppResult<Connection<Order>> {
//!         let page = PageRequest::new(page, ORDERING)?;
//! ```
//!
//! becomes the four arguments, in its place (`first: Int = 10` (`DEFAULT_PAGE_SIZE`), `after: String,
//! last: Int, before: String`; attributes on the parameter, such as
//! `#[graphql(default = 20)]`, go to `first`), the body starts by collecting them back
//! into `page`, and the method's `#[graphql(...)]` gains the `@listSize` directive of a
//! Relay connection (`crate::graphql::limits::list_size`).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, FnArg, ImplItem, ImplItemFn, ItemImpl, Meta, Pat, Token, Type, parse_macro_input,
    parse_quote, spanned::Spanned,
};

/// See the crate documentation.
#[proc_macro_attribute]
pub fn paged(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        let message = "#[paged] takes no arguments";
        return syn::Error::new(Tokens::from(attr).span(), message).to_compile_error().into();
    }
    let mut block = parse_macro_input!(item as ItemImpl);
    for item in &mut block.items {
        if let ImplItem::Fn(method) = item
            && let Err(error) = expand(method)
        {
            return error.to_compile_error().into();
        }
    }
    quote!(#block).into()
}

/// Rewrites one method when it has a `PageArgs` parameter.
fn expand(method: &mut ImplItemFn) -> syn::Result<()> {
    let Some(index) = method.sig.inputs.iter().position(is_page_args) else {
        return Ok(());
    };
    let Some(FnArg::Typed(param)) = method.sig.inputs.iter().nth(index).cloned() else {
        return Ok(());
    };
    let Pat::Ident(name) = param.pat.as_ref() else {
        return Err(syn::Error::new(param.pat.span(), "name the PageArgs parameter"));
    };
    let (name, ty) = (&name.ident, &param.ty);
    let first_attrs: Vec<Attribute> = if param.attrs.is_empty() {
        vec![parse_quote!(
            #[graphql(default_with = "Some(crate::graphql::pagination::DEFAULT_PAGE_SIZE)")]
        )]
    } else {
        param.attrs.clone()
    };
    let relay: [FnArg; 4] = [
        parse_quote!(#(#first_attrs)* first: Option<i32>),
        parse_quote!(after: Option<String>),
        parse_quote!(last: Option<i32>),
        parse_quote!(before: Option<String>),
    ];
    let mut inputs: Vec<FnArg> = method.sig.inputs.iter().cloned().collect();
    inputs.splice(index..=index, relay);
    method.sig.inputs = inputs.into_iter().collect();
    method
        .block
        .stmts
        .insert(0, parse_quote!(let #name: #ty = #ty { first, after, last, before };));
    add_directive(&mut method.attrs)
}

fn is_page_args(input: &FnArg) -> bool {
    let FnArg::Typed(param) = input else {
        return false;
    };
    matches!(param.ty.as_ref(), Type::Path(path)
        if path.path.segments.last().is_some_and(|s| s.ident == "PageArgs"))
}

/// async-graphql reads only the first `#[graphql(...)]` of a method, so the directive
/// joins that one (or becomes it).
fn add_directive(attrs: &mut Vec<Attribute>) -> syn::Result<()> {
    let directive: Tokens = quote! {
        directive = crate::graphql::limits::list_size::apply(
            None,
            crate::graphql::limits::first_or_last(),
            crate::graphql::limits::page_fields(),
            Some(false),
        )
    };
    match attrs.iter_mut().find(|a| a.path().is_ident("graphql")) {
        Some(attr) => {
            let Meta::List(list) = &mut attr.meta else {
                return Err(syn::Error::new(attr.span(), "expected #[graphql(...)]"));
            };
            let mut items =
                list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
            items.push(parse_quote!(#directive));
            list.tokens = quote!(#items);
        }
        None => attrs.push(parse_quote!(#[graphql(#directive)])),
    }
    Ok(())
}
